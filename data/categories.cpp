#include "data/categories.hpp"

#include <vector>

namespace tessera::data {

std::string_view to_string(Handling h) {
    switch (h) {
    case Handling::simple:
        return "simple";
    case Handling::general:
        return "general";
    case Handling::complex:
        return "complex";
    }
    return "general";
}

std::span<const Category> default_categories() {
    using enum Severity;
    using enum Handling;
    // Severity and tier follow common practice in grid-governance catalogues: hazards to life
    // are red, nuisances blue; what a grid officer can settle on the spot is general, what
    // needs a department's powers is complex.
    static const std::vector<Category> catalogue = {
        {"garbage", "垃圾乱堆乱放", "Garbage dumping", "市容环境", blue, general, true},
        {"illegal_advertising", "违规广告", "Illegal advertising", "市容环境", blue, general, true},
        {"street_vendor", "占道经营", "Street vending", "市容环境", blue, general, true},
        {"road_damage", "道路破损", "Road damage", "市政设施", yellow, general, true},
        {"illegal_construction", "违法建设", "Illegal construction", "城乡建设", yellow, complex,
         true},
        {"building_safety", "房屋安全隐患", "Unsafe building", "城乡建设", red, complex, true},
        {"property_dispute", "物业纠纷", "Property management dispute", "矛盾纠纷", blue, general,
         false},
        {"pollution", "环境污染", "Pollution", "生态环境", yellow, complex, true},
        {"noise", "噪声扰民", "Noise", "生态环境", blue, general, false},
        {"straw_burning", "秸秆焚烧", "Straw burning", "生态环境", red, general, true},
        {"fire_hazard", "火灾隐患", "Fire hazard", "安全生产", red, complex, true},
        {"safety_production", "安全生产隐患", "Workplace safety hazard", "安全生产", red, complex,
         true},
        {"blocked_fire_lane", "占用消防通道", "Blocked fire lane", "安全生产", red, general, true},
        {"waterlogging", "积水内涝", "Waterlogging", "应急管理", red, complex, true},
        {"public_order", "治安隐患", "Public order", "社会治安", yellow, complex, false},
        {"fraud", "电信诈骗", "Fraud", "社会治安", yellow, complex, false},
        {"fireworks", "违规燃放烟花爆竹", "Fireworks", "社会治安", yellow, general, false},
        {"traffic", "交通秩序", "Traffic order", "社会治安", blue, general, false},
        {"food_safety", "食品安全", "Food safety", "市场监管", yellow, complex, false},
        {"price", "价格违法", "Pricing violation", "市场监管", blue, complex, false},
        {"unlicensed_business", "无证经营", "Unlicensed business", "市场监管", blue, general,
         false},
        {"market_order", "市场秩序", "Market order", "市场监管", blue, complex, false},
        {"illegal_transport", "非法营运", "Illegal transport", "交通运输", blue, complex, false},
        {"river_pollution", "河道污染", "River pollution", "水利", yellow, complex, true},
        {"flood_control", "防汛隐患", "Flood-control hazard", "水利", red, complex, true},
        {"illegal_land_use", "违法占地", "Illegal land use", "自然资源", yellow, complex, true},
        {"public_health", "公共卫生", "Public health", "卫生健康", yellow, complex, false},
        {"epidemic", "疫情防控", "Epidemic control", "卫生健康", red, complex, false},
        {"school_safety", "校园安全", "School safety", "教育", yellow, complex, false},
        {"elderly_care", "养老服务", "Elderly care", "民生服务", blue, general, false},
        {"social_assistance", "社会救助", "Social assistance", "民生服务", blue, general, false},
        {"veterans", "退役军人服务", "Veterans' services", "民生服务", blue, complex, false},
        {"housing_fund", "住房公积金", "Housing fund", "民生服务", blue, complex, false},
        {"wage_arrears", "拖欠工资", "Wage arrears", "劳动保障", yellow, complex, false},
        {"social_insurance", "社会保险", "Social insurance", "劳动保障", blue, complex, false},
        {"agriculture", "农业生产", "Agriculture", "农业农村", blue, general, false},
        {"cultural_market", "文化市场", "Cultural market", "文化旅游", blue, complex, false},
        {"petition", "信访诉求", "Petition", "信访", yellow, complex, false},
        {"neighbour_dispute", "邻里纠纷", "Neighbour dispute", "矛盾纠纷", blue, general, false},
        {"legal_aid", "法律援助", "Legal aid", "矛盾纠纷", blue, complex, false},
        {"power_outage", "停电", "Power outage", "公用事业", yellow, complex, false},
        {"power_line_hazard", "电力线路隐患", "Power line hazard", "公用事业", red, complex, true},
        {"water_supply", "供水问题", "Water supply", "公用事业", yellow, complex, false},
        {"pipe_leak", "管道漏水", "Pipe leak", "公用事业", yellow, complex, true},
        {"gas_leak", "燃气泄漏", "Gas leak", "公用事业", red, complex, false},
        {"gas_safety", "燃气安全", "Gas safety", "公用事业", yellow, complex, false},
        {"consultation", "政策咨询", "Policy question", "咨询建议", blue, simple, false},
        {"suggestion", "意见建议", "Suggestion", "咨询建议", blue, simple, false},
    };
    return catalogue;
}

const Category* find_category(std::span<const Category> catalogue, std::string_view code) {
    for (const auto& c : catalogue)
        if (c.code == code)
            return &c;
    return nullptr;
}

} // namespace tessera::data
