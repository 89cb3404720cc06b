// Open311 GeoReport v2 (docs/open311.md) over the same EventDesk as /api/v1/events: the
// category catalogue is the service list, events are service requests. Every response comes in
// XML or JSON by the resource's extension, errors included (the spec's
// [{"code", "description"}] shape).
#include "data/point_csv.hpp"
#include "server/detail/api.hpp"
#include "server/json_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace tessera::server::detail {
namespace {

enum class Format { json, xml };

struct Resource {
    std::string name; // "services", "requests", "discovery", a service code or request id
    Format format = Format::xml;
};

// "services.json" -> {"services", json}. Anything without .json or .xml is not found.
Resource split_resource(std::string_view segment) {
    auto dot = segment.rfind('.');
    std::string_view ext = dot == std::string_view::npos ? "" : segment.substr(dot + 1);
    if (ext != "json" && ext != "xml")
        throw Error(ErrorCode::not_found, "Open311 resources end in .json or .xml, got '" +
                                              std::string(segment.substr(0, 80)) + "'");
    return {std::string(segment.substr(0, dot)), ext == "json" ? Format::json : Format::xml};
}

// ---- XML: one mechanism for every document, from the JSON value ----

// The element name of an array's items, by the array's name (the spec's documents).
std::string_view item_name(std::string_view array) {
    if (array == "services")
        return "service";
    if (array == "service_requests")
        return "request";
    if (array == "errors")
        return "error";
    if (array == "endpoints")
        return "endpoint";
    if (array == "formats")
        return "format";
    if (array == "attributes")
        return "attribute";
    if (array == "values")
        return "value";
    return "item";
}

// XML text with markup characters escaped, control characters (other than tab and line ends,
// which XML 1.0 does not allow) as spaces, and invalid UTF-8 as U+FFFD, as in JSON output.
void append_escaped(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (static_cast<unsigned char>(c) >= 0x80) {
            std::size_t n = utf8_length(text.substr(i));
            if (n == 0) {
                out += "\xEF\xBF\xBD";
            } else {
                out.append(text.substr(i, n));
                i += n - 1;
            }
            continue;
        }
        switch (c) {
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '&':
            out += "&amp;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
                out += ' ';
            else
                out += c;
        }
    }
}

void write_xml(std::string& out, std::string_view name, const json& v) {
    if (v.is_null()) {
        out += "<" + std::string(name) + "/>";
        return;
    }
    out += "<" + std::string(name) + ">";
    if (v.is_object()) {
        for (const auto& [k, x] : v.items())
            write_xml(out, k, x);
    } else if (v.is_array()) {
        for (const auto& x : v)
            write_xml(out, item_name(name), x);
    } else if (v.is_string()) {
        append_escaped(out, v.get_ref<const std::string&>());
    } else {
        out += v.dump();
    }
    out += "</" + std::string(name) + ">";
}

// `root` names the document for XML (its items follow item_name).
Response render(Format format, std::string_view root, const json& value, int status = 200) {
    if (format == Format::json)
        return json_ok(value, status);
    Response res;
    res.status = status;
    res.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
    write_xml(res.body, root, value);
    res.body += "\n";
    res.set_header("Content-Type", "text/xml; charset=utf-8");
    return res;
}

// Runs a handler body, answering failures in the spec's error format.
template <class F>
Response open311_call(Format format, F&& body) {
    try {
        return body();
    } catch (const Error& e) {
        int status = status_for(e.code());
        std::string description = status >= 500 ? "internal error (details are in the server log)"
                                                : std::string(e.what());
        if (status >= 500)
            std::fprintf(stderr, "tessera serve: open311: %s\n", e.what());
        return render(format, "errors",
                      json::array({json{{"code", status}, {"description", description}}}), status);
    }
}

// "a,b,,c," -> {"a", "b", "", "c"}: the empty piece is for the caller to refuse.
std::vector<std::string_view> split_list(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        auto comma = text.find(',');
        out.push_back(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return out;
}

Format format_of_path(const Request& req) {
    std::string path = parse_target(req.target).path;
    return path.ends_with(".json") ? Format::json : Format::xml;
}

// ---- documents ----

json service_json(const data::Category& c) {
    return json{{"service_code", c.code},
                {"service_name", c.name},
                {"description", c.name_en + " (" + std::string(to_string(c.handling)) +
                                    " handling, " + std::string(to_string(c.severity)) +
                                    " by default)"},
                {"metadata", false},
                {"type", "realtime"},
                {"keywords", c.code + "," + c.name_en},
                {"group", c.group}};
}

// Department names by code, read once per response.
using DepartmentNames = std::map<std::string, std::string, std::less<>>;

DepartmentNames department_names(data::Store& store) {
    DepartmentNames out;
    for (auto& d : store.departments())
        out.emplace(std::move(d.code), std::move(d.name));
    return out;
}

json request_json(const data::Event& e, data::EventDesk& desk, const DepartmentNames& names) {
    const data::Category* cat = desk.category(e.category);
    bool open = data::is_open(e.status);
    std::string agency;
    if (e.department_code)
        if (auto it = names.find(*e.department_code); it != names.end())
            agency = it->second;
    if (agency.empty())
        agency = e.grid_code.empty() ? "command center" : "grid " + e.grid_code;
    std::string notes =
        std::string(to_string(e.status)) + " at the " + std::string(to_string(e.level)) + " level";
    if (e.duplicate_of)
        notes = "duplicate of request " + std::to_string(*e.duplicate_of);
    return json{
        {"service_request_id", std::to_string(e.id)},
        {"status", open ? "open" : "closed"},
        {"status_notes", notes},
        {"service_name", cat ? json(cat->name) : json(nullptr)},
        {"service_code", e.category},
        {"description", e.description},
        {"agency_responsible", agency},
        {"service_notice", nullptr},
        {"requested_datetime", data::format_time(e.reported_at)},
        {"updated_datetime", data::format_time(e.updated_at)},
        {"expected_datetime", open ? json(data::format_time(e.deadline_at)) : json(nullptr)},
        {"address", e.address ? json(*e.address) : json(nullptr)},
        {"address_id", nullptr},
        {"zipcode", nullptr},
        {"lat", e.position.lat},
        {"long", e.position.lon},
        {"media_url", e.photos.empty() ? json(nullptr) : json(e.photos.front())},
        // Extended attributes, as cities extend Open311: where the request sits and who has it.
        {"extended_attributes",
         {{"grid_code", e.grid_code},
          {"community_code", e.community_code},
          {"township_code", e.township_code},
          {"county_code", e.county_code},
          {"level", to_string(e.level)},
          {"severity", to_string(e.severity)},
          {"tessera_status", to_string(e.status)},
          {"duplicate_of",
           e.duplicate_of ? json(std::to_string(*e.duplicate_of)) : json(nullptr)}}}};
}

// The caller of a read: a logged-in user (Bearer) or an app's api_key (acting as its user).
data::Principal open311_reader(const Request& req, const Target& target, Services& services) {
    if (auto who = principal_of(req, services))
        return *who;
    if (auto key = query_param(target, "api_key")) {
        if (auto app = services.auth.authenticate_api_key(*key))
            return *app;
        throw Error(ErrorCode::forbidden, "invalid api_key");
    }
    throw Error(ErrorCode::unauthorized,
                "service requests are not public here: send your api_key, or log in");
}

std::optional<double> number_param(const Target& t, const char* name) {
    auto v = query_param(t, name);
    if (!v)
        return std::nullopt;
    auto d = data::parse_finite_number(*v);
    if (!d)
        throw bad_request(std::string(name) + " must be a number, got '" +
                          std::string(v->substr(0, 40)) + "'");
    return d;
}

} // namespace

Response get_open311_document(const Request& req, Services& services, const PathParams& params) {
    Format format = format_of_path(req);
    return open311_call(format, [&] {
        Resource r = split_resource(param(params, "document"));
        Target target = parse_target(req.target);
        if (r.name == "discovery") {
            reject_unknown_params(target, {});
            json discovery = {
                {"changeset", "2026-11-22T00:00:00Z"},
                {"contact", "Tessera grid-governance server: see /api/v1/categories and "
                            "docs/open311.md"},
                {"key_service", "api keys are issued by the city's command center"},
                {"endpoints",
                 json::array({json{{"specification", "http://wiki.open311.org/GeoReport_v2"},
                                   {"url", "/open311/v2"},
                                   {"changeset", "2026-11-22T00:00:00Z"},
                                   {"type", "production"},
                                   {"formats", {"text/xml", "application/json"}}}})}};
            return render(r.format, "discovery", discovery);
        }
        if (r.name == "services") {
            reject_unknown_params(target, {"jurisdiction_id"});
            json services_list = json::array();
            for (const auto& c : services.desk.config().categories)
                services_list.push_back(service_json(c));
            return render(r.format, "services", services_list);
        }
        if (r.name == "requests") {
            reject_unknown_params(target, {"service_request_id", "service_code", "start_date",
                                           "end_date", "status", "jurisdiction_id", "api_key"});
            data::Principal who = open311_reader(req, target, services);
            DepartmentNames names = department_names(services.store);
            json out = json::array();
            if (auto ids = query_param(target, "service_request_id")) {
                // A list of ids: the other parameters are ignored, as the spec says.
                for (std::string_view one : split_list(*ids)) {
                    auto id = parse_id(one);
                    if (!id)
                        throw bad_request("service_request_id must be numbers separated by "
                                          "commas");
                    try {
                        out.push_back(
                            request_json(services.desk.get(*id, &who), services.desk, names));
                    } catch (const Error& e) {
                        if (e.code() != ErrorCode::not_found)
                            throw;
                    }
                }
                return render(r.format, "service_requests", out);
            }
            data::EventQuery q;
            q.limit = 1000; // the spec's maximum
            if (auto v = query_param(target, "service_code"))
                q.category = std::string(*v);
            for (const char* name : {"start_date", "end_date"})
                if (auto v = query_param(target, name)) {
                    auto t = data::parse_time(*v);
                    if (!t)
                        throw bad_request(std::string(name) + " must be a w3 date-time such as "
                                                              "2026-03-01T00:00:00Z");
                    (std::string_view(name) == "start_date" ? q.reported_from : q.reported_to) = t;
                }
            // The spec's default window: the last 90 days.
            if (!q.reported_from && !q.reported_to)
                q.reported_from = services.desk.now() - std::chrono::days(90);
            if (auto v = query_param(target, "status")) {
                bool open = false, closed = false;
                for (std::string_view one : split_list(*v)) {
                    if (one != "open" && one != "closed")
                        throw bad_request("status must be open, closed or both, got '" +
                                          std::string(one.substr(0, 40)) + "'");
                    (one == "open" ? open : closed) = true;
                }
                if (open != closed)
                    q.open = open;
            }
            for (const auto& e : services.desk.list(q, &who).events)
                out.push_back(request_json(e, services.desk, names));
            return render(r.format, "service_requests", out);
        }
        throw Error(ErrorCode::not_found, "no Open311 resource '" + r.name + "'");
    });
}

Response get_open311_token(const Request& req, Services& services, const PathParams& params) {
    Format format = format_of_path(req);
    return open311_call(format, [&] {
        Resource r = split_resource(param(params, "token"));
        Target target = parse_target(req.target);
        reject_unknown_params(target, {"jurisdiction_id", "api_key"});
        data::Principal who = open311_reader(req, target, services);
        auto id = parse_id(r.name);
        if (!id)
            throw Error(ErrorCode::not_found, "token '" + r.name + "' was not found");
        data::PendingReport p;
        try {
            p = services.desk.pending_report(*id, &who);
        } catch (const Error& e) {
            if (e.code() == ErrorCode::not_found)
                throw Error(ErrorCode::not_found, "token '" + r.name + "' was not found");
            throw;
        }
        json one = {{"token", std::to_string(p.id)}};
        if (p.event_id)
            one["service_request_id"] = std::to_string(*p.event_id);
        return render(r.format, "service_requests", json::array({one}));
    });
}

Response get_open311_service(const Request& req, Services& services, const PathParams& params) {
    Format format = format_of_path(req);
    return open311_call(format, [&] {
        Resource r = split_resource(param(params, "service"));
        reject_unknown_params(parse_target(req.target), {"jurisdiction_id"});
        if (!services.desk.category(r.name))
            throw Error(ErrorCode::not_found, "service_code '" + r.name + "' was not found");
        // No category asks for extra fields (metadata is false): the definition is empty.
        return render(r.format, "service_definition",
                      json{{"service_code", r.name}, {"attributes", json::array()}});
    });
}

Response get_open311_request(const Request& req, Services& services, const PathParams& params) {
    Format format = format_of_path(req);
    return open311_call(format, [&] {
        Resource r = split_resource(param(params, "request"));
        Target target = parse_target(req.target);
        reject_unknown_params(target, {"jurisdiction_id", "api_key"});
        data::Principal who = open311_reader(req, target, services);
        auto id = parse_id(r.name);
        if (!id)
            throw Error(ErrorCode::not_found, "service request '" + r.name + "' was not found");
        json one = request_json(services.desk.get(*id, &who), services.desk,
                                department_names(services.store));
        return render(r.format, "service_requests", json::array({one}));
    });
}

Response post_open311_request(const Request& req, Services& services, const PathParams& params) {
    Format format = format_of_path(req);
    return open311_call(format, [&] {
        Resource r = split_resource(param(params, "document"));
        if (r.name != "requests")
            throw Error(ErrorCode::not_found, "POST goes to requests.json or requests.xml");
        // Form fields (the spec's x-www-form-urlencoded body) and the query string together.
        Target target = parse_target(req.target);
        Target form = parse_target("/?" + req.body);
        target.query.insert(target.query.end(), form.query.begin(), form.query.end());
        for (const auto& [name, value] : target.query)
            if (name.starts_with("attribute["))
                throw bad_request("this service has no attribute '" + name.substr(0, 60) +
                                  "' (its definition lists none)");
        reject_unknown_params(target,
                              {"api_key", "jurisdiction_id", "service_code", "lat", "long",
                               "address_string", "address_id", "email", "device_id", "account_id",
                               "first_name", "last_name", "phone", "description", "media_url"});
        auto key = query_param(target, "api_key");
        if (!key)
            throw Error(ErrorCode::forbidden, "api_key was not provided");
        auto app = services.auth.authenticate_api_key(*key);
        if (!app)
            throw Error(ErrorCode::forbidden, "invalid api_key");
        auto code = query_param(target, "service_code");
        if (!code || code->empty())
            throw bad_request("service_code was not provided");
        if (!services.desk.category(*code))
            throw Error(ErrorCode::not_found,
                        "service_code '" + std::string(code->substr(0, 80)) + "' was not found");

        data::EventReport report;
        report.category = std::string(*code);
        report.source = data::EventSource::citizen;
        report.description = std::string(query_param(target, "description").value_or(""));
        auto lat = number_param(target, "lat");
        auto lon = number_param(target, "long");
        if (lat.has_value() != lon.has_value())
            throw bad_request("lat and long are sent together");
        if (lat)
            report.position = geo::LonLat{*lon, *lat};
        if (auto address = query_param(target, "address_string"))
            report.address = std::string(*address);
        if (!report.position && !report.address)
            throw bad_request("a location is required: lat and long, or address_string");
        if (auto media = query_param(target, "media_url"))
            report.photos.push_back(std::string(*media));
        std::string reporter;
        for (const char* name : {"last_name", "first_name", "phone", "email"})
            if (auto v = query_param(target, name); v && !v->empty())
                reporter += (reporter.empty() ? "" : " ") + std::string(*v);
        report.reporter = reporter.empty() ? app->display_name : reporter;

        data::Intake intake = services.desk.report(report, &*app, "open311:" + app->username);
        if (intake.pending) {
            // The spec's token: the address did not place the request; an operator will.
            json out = json::array(
                {json{{"token", std::to_string(intake.pending->id)},
                      {"service_notice", "received; the address is being located by the command "
                                         "center (" +
                                             intake.pending->reason + ")"},
                      {"account_id", nullptr}}});
            return render(r.format, "service_requests", out, 201);
        }
        const data::Event& e = intake.event;
        std::string notice =
            intake.duplicate
                ? "already reported as request " + std::to_string(*e.duplicate_of) +
                      ": linked to it"
                : (e.grid_code.empty() ? std::string("received by the command center")
                                       : "received; grid " + e.grid_code + " responsible");
        json out = json::array({json{{"service_request_id", std::to_string(e.id)},
                                     {"service_notice", notice},
                                     {"account_id", nullptr}}});
        Response res = render(r.format, "service_requests", out, 201);
        res.set_header("Location", "/open311/v2/requests/" + std::to_string(e.id) +
                                       (r.format == Format::json ? ".json" : ".xml"));
        return res;
    });
}

} // namespace tessera::server::detail
