// libpq helpers for the benchmarks' PostGIS side (bench/with_postgis.sh starts a server and sets
// TESSERA_BENCH_PG). Only built when libpq is found (TESSERA_BENCH_HAVE_LIBPQ).
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <libpq-fe.h>
#include <memory>
#include <stdexcept>
#include <string>

namespace tessera::bench {

struct PgConnDeleter {
    void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// libpq's last error message on one line.
inline std::string pg_message(PGconn* c) {
    std::string m = PQerrorMessage(c);
    std::replace(m.begin(), m.end(), '\n', ' ');
    std::replace(m.begin(), m.end(), '\t', ' ');
    while (!m.empty() && m.back() == ' ')
        m.pop_back();
    return m;
}

// Connects with `conninfo` and checks that PostGIS is there; throws std::runtime_error saying
// what is missing otherwise.
inline PgConn pg_connect(const char* conninfo) {
    PgConn conn(PQconnectdb(conninfo));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK)
        throw std::runtime_error("cannot connect with TESSERA_BENCH_PG: " +
                                 (conn ? pg_message(conn.get()) : std::string("out of memory")));
    PgResult version(PQexec(conn.get(), "SELECT postgis_full_version()"));
    if (PQresultStatus(version.get()) != PGRES_TUPLES_OK)
        throw std::runtime_error("no PostGIS in that database: " + pg_message(conn.get()));
    return conn;
}

inline PgResult pg_exec(PGconn* c, const std::string& sql,
                        ExecStatusType expected = PGRES_COMMAND_OK) {
    PgResult r(PQexec(c, sql.c_str()));
    if (!r || PQresultStatus(r.get()) != expected)
        throw std::runtime_error(sql.substr(0, 60) + ": " + pg_message(c));
    return r;
}

// COPY ... FROM STDIN; `rows(std::string& buffer)` appends rows and returns false when done.
template <class F>
void pg_copy_in(PGconn* c, const std::string& sql, F&& rows) {
    pg_exec(c, sql, PGRES_COPY_IN);
    std::string buffer;
    bool more = true;
    while (more) {
        buffer.clear();
        while ((more = rows(buffer)) && buffer.size() < (1u << 20)) {
        }
        if (!buffer.empty() &&
            PQputCopyData(c, buffer.data(), static_cast<int>(buffer.size())) != 1)
            throw std::runtime_error(sql.substr(0, 60) + ": " + pg_message(c));
    }
    if (PQputCopyEnd(c, nullptr) != 1)
        throw std::runtime_error(sql.substr(0, 60) + ": " + pg_message(c));
    bool ok = true;
    while (PgResult r{PQgetResult(c)})
        ok = ok && PQresultStatus(r.get()) == PGRES_COMMAND_OK;
    if (!ok)
        throw std::runtime_error(sql.substr(0, 60) + ": " + pg_message(c));
}

// The shortest decimal that reads back as exactly `v`.
inline void append_double(std::string& s, double v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    s.append(buf, end);
}

// Bytes as hexadecimal digits (WKB for a geometry column in COPY's text format).
inline void append_hex(std::string& s, std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    for (unsigned char b : bytes) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
}

// A value for COPY's text format: backslash, tab and newlines escaped.
inline void append_copy_text(std::string& s, std::string_view v) {
    for (char ch : v) {
        switch (ch) {
        case '\\':
            s += "\\\\";
            break;
        case '\t':
            s += "\\t";
            break;
        case '\n':
            s += "\\n";
            break;
        case '\r':
            s += "\\r";
            break;
        default:
            s += ch;
        }
    }
}

} // namespace tessera::bench
