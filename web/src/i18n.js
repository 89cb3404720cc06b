// Interface texts: Chinese by default, English on request (remembered in localStorage).
const texts = {
  zh: {
    title: 'Tessera 网格化治理指挥中心',
    lang_switch: 'English',
    username: '用户名', password: '密码', login: '登录', logout: '退出',
    login_failed: '用户名或密码错误',
    layers: '图层', events: '事件', kpis: '考核指标',
    filter_status: '状态', filter_severity: '等级', filter_category: '类别',
    filter_time: '上报时间', filter_overdue: '仅超期', all: '全部',
    last_day: '24小时内', last_week: '7天内', last_month: '30天内',
    reported: '待派单', dispatched: '已派单', accepted: '已接单', in_progress: '处置中',
    resolved: '已办结', closed: '已结案', rejected: '已退回',
    blue: '蓝色', yellow: '黄色', red: '红色',
    grid: '网格', community: '村社区', township: '乡镇街道', county: '县区',
    micro_grid: '微网格', exclusive_grid: '专属网格', city: '市',
    action_dispatch: '派单', action_accept: '接单', action_start: '开始处置',
    action_resolve: '办结', action_close: '结案', action_reject: '退回',
    action_transfer: '转办', action_escalate: '上报', action_reopen: '重新打开',
    action_rate: '评价', action_report: '上报',
    note_prompt: '请填写说明', target_prompt: '转办给（部门或单位代码）',
    live_on: '实时连接', live_off: '实时连接断开',
    timeline: '处置过程', owners: '责任人', level: '响应层级', deadline: '期限',
    overdue: '已超期', no_events: '没有符合条件的事件', select_event: '在地图或列表中选择事件',
    reported_at: '上报时间', source: '来源', description: '描述', address: '地址',
    total_reported: '上报', total_closed: '结案', on_time_rate: '按时率',
    shown: '显示', of: '共',
    layer_cameras: '视频监控', layer_tracks: '巡查轨迹', layer_drones: '无人机航线',
    nearby_officers: '附近网格员', nearby_cameras: '可见摄像头',
    no_nearby_officers: '附近没有网格员', no_nearby_cameras: '没有摄像头能看到这里',
    online: '在线', offline: '离线',
    minutes_ago: '分钟前', hours_ago: '小时前', days_ago: '天前',
    grid_chief: '网格长', full_time_officer: '专职网格员', part_time_officer: '兼职网格员',
    micro_grid_head: '微网格长', volunteer: '志愿者', township_operator: '乡镇操作员',
    county_operator: '县区操作员', department_staff: '部门人员',
    by_default: '下一级',
    redraw: '边界编辑', draft_title: '编辑说明（如：幸福小区新建，拆分网格）', start_editing: '开始编辑',
    tool_select: '选择', tool_modify: '拖动顶点', tool_split: '分割', tool_merge: '合并所选',
    hint_select: '点击选择网格，按住 Shift 多选', hint_modify: '拖动顶点，相邻网格的公共顶点一起移动',
    hint_split: '先用“选择”选中网格，再画一条穿过它的线（双击结束）',
    commit_reason: '提交原因（必填）', commit: '提交', discard: '放弃', history: '历史版本',
    errors: '错误', warnings: '警告', households: '户数', open_events: '未办结事件', buildings: '栋楼',
    cameras: '个摄像头', moved: '将改变所属网格', change_changed: '修改', change_created: '新建',
    change_removed: '删除', draft: '草稿', committed: '已提交，版本', moved_events: '改派事件',
    discarded: '草稿已放弃', reason_needed: '请填写提交原因', select_first: '请先选择要分割的网格',
    select_two: '请按住 Shift 选择两个以上相邻网格', zoom_in_to_edit: '请放大到街道级别再编辑',
    grids_changed: '个网格有变化', op_split: '分割', op_merge: '合并', op_move_vertex: '移动顶点',
    tool_reshape: '重绘形状', tool_boundary: '移动边界', tool_create: '新建网格', tool_remove: '删除并入',
    hint_reshape: '先选中网格，再画出它的新形状（双击结束）；邻格让出或接收差额',
    hint_boundary: '按住 Shift 选中两个相邻网格，再画出新的分界线（双击结束）',
    hint_create: '填写编号和名称，再画出新网格（双击结束）；它从覆盖的网格中划出',
    select_remove: '先选中要删除的网格，再按住 Shift 选中并入的相邻网格', new_code: '新网格编号',
    new_name: '新网格名称', code_needed: '请填写新网格的编号和名称', owners_of: '负责人',
    owners_codes: '工号，用逗号分隔（第一个为主责）', set_owners: '设置负责人', nobody: '无人负责',
    op_reshape: '重绘形状', op_move_boundary: '移动边界', op_create: '新建', op_remove: '删除并入',
    op_set_owners: '设置负责人', change_owners: '换负责人', people: '负责人',
  },
  en: {
    title: 'Tessera grid governance command center',
    lang_switch: '中文',
    username: 'Username', password: 'Password', login: 'Log in', logout: 'Log out',
    login_failed: 'Wrong username or password',
    layers: 'Layers', events: 'Events', kpis: 'KPIs',
    filter_status: 'Status', filter_severity: 'Severity', filter_category: 'Category',
    filter_time: 'Reported', filter_overdue: 'Overdue only', all: 'All',
    last_day: 'Last 24 h', last_week: 'Last 7 days', last_month: 'Last 30 days',
    reported: 'Reported', dispatched: 'Dispatched', accepted: 'Accepted', in_progress: 'In progress',
    resolved: 'Resolved', closed: 'Closed', rejected: 'Rejected',
    blue: 'Blue', yellow: 'Yellow', red: 'Red',
    grid: 'Grid', community: 'Community', township: 'Township', county: 'County',
    micro_grid: 'Micro-grid', exclusive_grid: 'Exclusive grid', city: 'City',
    action_dispatch: 'Dispatch', action_accept: 'Accept', action_start: 'Start',
    action_resolve: 'Resolve', action_close: 'Close', action_reject: 'Reject',
    action_transfer: 'Transfer', action_escalate: 'Escalate', action_reopen: 'Reopen',
    action_rate: 'Rate', action_report: 'Report',
    note_prompt: 'Please add a note', target_prompt: 'Transfer to (department or unit code)',
    live_on: 'Live', live_off: 'Live feed down',
    timeline: 'Timeline', owners: 'Responsible', level: 'Level', deadline: 'Deadline',
    overdue: 'Overdue', no_events: 'No events match', select_event: 'Pick an event on the map or in the list',
    reported_at: 'Reported', source: 'Source', description: 'Description', address: 'Address',
    total_reported: 'Reported', total_closed: 'Closed', on_time_rate: 'On time',
    shown: 'Showing', of: 'of',
    layer_cameras: 'Cameras', layer_tracks: 'Patrol tracks', layer_drones: 'Drone flights',
    nearby_officers: 'Officers nearby', nearby_cameras: 'Cameras that see it',
    no_nearby_officers: 'No officer nearby', no_nearby_cameras: 'No camera sees this place',
    online: 'online', offline: 'offline',
    minutes_ago: 'min ago', hours_ago: 'h ago', days_ago: 'days ago',
    grid_chief: 'grid chief', full_time_officer: 'full-time officer', part_time_officer: 'part-time officer',
    micro_grid_head: 'micro-grid head', volunteer: 'volunteer', township_operator: 'township operator',
    county_operator: 'county operator', department_staff: 'department staff',
    by_default: 'Next level',
    redraw: 'Redraw boundaries', draft_title: 'What for (e.g. new compound, split a grid)', start_editing: 'Start editing',
    tool_select: 'Select', tool_modify: 'Drag vertices', tool_split: 'Split', tool_merge: 'Merge selected',
    hint_select: 'Click a grid to select it, Shift-click for more', hint_modify: 'Drag a vertex; neighbours sharing it move too',
    hint_split: 'Select a grid with Select, then draw a line across it (double-click to end)',
    commit_reason: 'Reason for the change (required)', commit: 'Commit', discard: 'Discard', history: 'History',
    errors: 'Errors', warnings: 'Warnings', households: 'households', open_events: 'open events', buildings: 'buildings',
    cameras: 'cameras', moved: 'Would change grid', change_changed: 'changed', change_created: 'new',
    change_removed: 'removed', draft: 'Draft', committed: 'Committed as version', moved_events: 'events moved',
    discarded: 'Draft discarded', reason_needed: 'A reason is required', select_first: 'Select the grid to split first',
    select_two: 'Shift-click two or more adjacent grids', zoom_in_to_edit: 'Zoom in to street level to edit',
    grids_changed: 'grids changed', op_split: 'Split', op_merge: 'Merge', op_move_vertex: 'Vertex moved',
    tool_reshape: 'Reshape', tool_boundary: 'Move boundary', tool_create: 'New grid', tool_remove: 'Remove into',
    hint_reshape: 'Select a grid, then draw its new shape (double-click to end); neighbours give or take the difference',
    hint_boundary: 'Shift-click two adjacent grids, then draw their new boundary (double-click to end)',
    hint_create: 'Fill in code and name, then draw the new grid (double-click to end); it is cut from the grids it covers',
    select_remove: 'Select the grid to remove, then Shift-click the neighbour it joins', new_code: 'New grid code',
    new_name: 'New grid name', code_needed: 'The new grid needs a code and a name', owners_of: 'Responsible for',
    owners_codes: 'Staff numbers, comma-separated (lead first)', set_owners: 'Set owners', nobody: 'No one',
    op_reshape: 'Reshaped', op_move_boundary: 'Boundary moved', op_create: 'Created', op_remove: 'Removed',
    op_set_owners: 'Owners set', change_owners: 'owners', people: 'Owners',
  },
};

let lang = localStorage.getItem('tessera.lang') === 'en' ? 'en' : 'zh';

export function t(key) {
  return texts[lang][key] ?? key;
}

export function language() {
  return lang;
}

export function toggleLanguage() {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('tessera.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  applyTexts();
}

// Fills every element with a data-i18n attribute.
export function applyTexts(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]'))
    el.placeholder = t(el.dataset.i18nPlaceholder);
}
