// The schedule knobs that are choices rather than necessities, and the
// tuning database that picks them per conv shape for one CPU model.
//
// A conv pass (forward, input gradient, weight gradient) has a key (its
// shapes and window) and a choice: which path computes it, its register
// tile, its parallel grain, its batch chunk. Every knob left `automatic`
// keeps the hand-written rule of the schedule (schedule.hpp, ops/conv.hpp),
// so the empty table is today's default build. A choice is a request: a knob
// that cannot apply to a shape (Winograd on a strided conv, a tile of 6
// channels over 32) falls back to the rule, so a choice borrowed from the
// nearest tuned shape never fails.
//
// The database is a text file, one record per line (tools/tune writes it):
//
//   # comment
//   cpu amd-25-1                     vendor-family-model, as the runtime names it
//   name AMD EPYC 7B13 64-Core Processor
//   targets avx2                     the instruction sets it was measured with
//   date 2026-12-03
//   forward in=32x28x28 out=32x28x28 kernel=3 stride=1 dilation=1 groups=1 choice=along_x+v2+c6+quarters ms=1.10 default_ms=1.31 tried=default:1.31,winograd+rows:1.25
//
// Pure C++ (no Halide), so the parser is tested like any other reader.
#pragma once

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace typenet::gen {

enum class conv_pass { forward, input_gradient, weight_gradient };

inline constexpr const char* pass_names[] = {"forward", "input_gradient", "weight_gradient"};

struct conv_map {
    int c = 0, h = 0, w = 0;
    friend bool operator==(const conv_map&, const conv_map&) = default;
};

// What a choice is keyed by: one pass of one conv shape.
struct conv_key {
    conv_pass pass = conv_pass::forward;
    conv_map in, out;
    int kernel = 1, stride = 1, dilation = 1, groups = 1;
    friend bool operator==(const conv_key&, const conv_key&) = default;
};

struct conv_choice {
    // forward and input gradient: winograd | along_x | across_channels | pitched_rows;
    // weight gradient: winograd | channel_vectors | along_x | pitched_rows.
    enum class path { automatic, winograd, along_x, across_channels, channel_vectors, pitched_rows };
    // The parallel loop: whole images, quarters of one, or a task per
    // pair of rows (Winograd's row of tiles).
    enum class grain { automatic, images, quarters, rows };

    path route = path::automatic;
    int vectors = 0;    // register tile along x: whole vectors of columns (1 or 2)
    int channels = 0;   // register tile: output channels (forward) or input channels (input gradient)
    grain parallel = grain::automatic;
    int images = 0;     // weight gradient (channel vectors): images per chunk of the batch

    bool is_default() const { return *this == conv_choice{}; }
    friend bool operator==(const conv_choice&, const conv_choice&) = default;
};

struct tuning_record {
    conv_key key;
    conv_choice choice;
    double ms = 0, default_ms = 0;                          // the choice's and the default's time
    std::vector<std::pair<std::string, double>> tried;      // every candidate measured, in ms
};

struct tuning_table {
    std::string cpu, name, date;      // "amd-25-1", the CPU's own name, when measured
    std::vector<std::string> targets;  // "avx2"
    std::vector<tuning_record> records;

    // The choice for `key`: its own record's, else the nearest tuned
    // shape's of the same pass and window (channels and map size closest
    // on a log scale), else the default.
    conv_choice choose(const conv_key& key) const {
        const tuning_record* best = nullptr;
        double best_distance = 0;
        for (const tuning_record& r : records) {
            const conv_key& k = r.key;
            if (k.pass != key.pass || k.kernel != key.kernel || k.stride != key.stride || k.dilation != key.dilation ||
                group_kind(k) != group_kind(key))
                continue;
            if (k == key) return r.choice;
            const double distance = log_ratio(k.in.c, key.in.c) + log_ratio(k.out.c, key.out.c) +
                                    log_ratio(k.out.h * k.out.w, key.out.h * key.out.w) / 2;
            if (!best || distance < best_distance) best = &r, best_distance = distance;
        }
        return best ? best->choice : conv_choice{};
    }

private:
    // Plain, depthwise or otherwise grouped: choices do not carry across.
    static int group_kind(const conv_key& k) { return k.groups == 1 ? 0 : k.groups == k.in.c ? 1 : 2; }
    static double log_ratio(int a, int b) { return std::abs(std::log2(double(a) / double(b))); }
};

// --- text ----------------------------------------------------------------

inline std::string to_string(const conv_map& m) {
    return std::to_string(m.c) + "x" + std::to_string(m.h) + "x" + std::to_string(m.w);
}

// "in=32x28x28 out=32x28x28 kernel=3 stride=1 dilation=1 groups=1": the
// shape part of a record, also how typenet_add_network finds a network's
// shapes in a database.
inline std::string shape_text(const conv_key& k) {
    return "in=" + to_string(k.in) + " out=" + to_string(k.out) + " kernel=" + std::to_string(k.kernel) +
           " stride=" + std::to_string(k.stride) + " dilation=" + std::to_string(k.dilation) +
           " groups=" + std::to_string(k.groups);
}

inline std::string to_string(const conv_choice& c) {
    constexpr const char* routes[] = {"", "winograd", "along_x", "across_channels", "channel_vectors", "pitched_rows"};
    constexpr const char* grains[] = {"", "images", "quarters", "rows"};
    std::vector<std::string> parts;
    if (c.route != conv_choice::path::automatic) parts.push_back(routes[int(c.route)]);
    if (c.vectors) parts.push_back("v" + std::to_string(c.vectors));
    if (c.channels) parts.push_back("c" + std::to_string(c.channels));
    if (c.parallel != conv_choice::grain::automatic) parts.push_back(grains[int(c.parallel)]);
    if (c.images) parts.push_back("i" + std::to_string(c.images));
    if (parts.empty()) return "default";
    std::string out = parts[0];
    for (std::size_t i = 1; i < parts.size(); ++i) out += "+" + parts[i];
    return out;
}

namespace detail {

// A whole positive number of at most 5 digits, else nullopt.
inline std::optional<int> small_number(std::string_view s) {
    if (s.empty() || s.size() > 5) return std::nullopt;
    int v = 0;
    for (char ch : s) {
        if (ch < '0' || ch > '9') return std::nullopt;
        v = v * 10 + (ch - '0');
    }
    return v > 0 ? std::optional(v) : std::nullopt;
}

inline std::optional<double> milliseconds(const std::string& s) {
    if (s.empty() || s.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
    try {
        std::size_t used = 0;
        const double v = std::stod(s, &used);
        if (used != s.size() || !std::isfinite(v)) return std::nullopt;
        return v;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

inline std::optional<conv_map> map_of(std::string_view s) {
    conv_map m;
    int* fields[] = {&m.c, &m.h, &m.w};
    for (int i = 0; i < 3; ++i) {
        const std::size_t end = i < 2 ? s.find('x') : s.size();
        if (end == std::string_view::npos) return std::nullopt;
        auto v = small_number(s.substr(0, end));
        if (!v) return std::nullopt;
        *fields[i] = *v;
        s.remove_prefix(i < 2 ? end + 1 : end);
    }
    return m;
}

}  // namespace detail

// A choice from its text ("along_x+v2+c6+quarters", "default"), or a
// sentence saying what is wrong with it.
inline conv_choice parse_choice(std::string_view text) {
    const auto bad = [&](std::string_view why) {
        return std::invalid_argument("the choice \"" + std::string(text) + "\" " + std::string(why) +
                                     " (parts: winograd, along_x, across_channels, channel_vectors, pitched_rows, images, "
                                     "quarters, rows, v<vectors>, c<channels>, i<images>, joined by +; or default)");
    };
    conv_choice c;
    if (text == "default") return c;
    std::string_view rest = text;
    while (true) {
        const std::size_t end = rest.find('+');
        const std::string_view part = rest.substr(0, end);
        constexpr std::pair<const char*, conv_choice::path> routes[] = {
            {"winograd", conv_choice::path::winograd},
            {"along_x", conv_choice::path::along_x},
            {"across_channels", conv_choice::path::across_channels},
            {"channel_vectors", conv_choice::path::channel_vectors},
            {"pitched_rows", conv_choice::path::pitched_rows}};
        constexpr std::pair<const char*, conv_choice::grain> grains[] = {
            {"images", conv_choice::grain::images}, {"quarters", conv_choice::grain::quarters}, {"rows", conv_choice::grain::rows}};
        bool known = false;
        for (auto [name, route] : routes)
            if (part == name) {
                if (c.route != conv_choice::path::automatic) throw bad("names two paths");
                c.route = route, known = true;
            }
        for (auto [name, grain] : grains)
            if (part == name) {
                if (c.parallel != conv_choice::grain::automatic) throw bad("names two parallel grains");
                c.parallel = grain, known = true;
            }
        if (!known && part.size() > 1 && (part[0] == 'v' || part[0] == 'c' || part[0] == 'i')) {
            const auto v = detail::small_number(part.substr(1));
            if (!v) throw bad("has \"" + std::string(part) + "\", whose number is not a whole number from 1 to 99999");
            int& field = part[0] == 'v' ? c.vectors : part[0] == 'c' ? c.channels : c.images;
            if (field) throw bad("gives \"" + std::string(1, part[0]) + "\" twice");
            field = *v, known = true;
        }
        if (!known) throw bad("has an unknown part \"" + std::string(part) + "\"");
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 1);
    }
    if (c.vectors > 2) throw bad("asks for " + std::to_string(c.vectors) + " vectors along x (1 or 2)");
    return c;
}

// Reads a tuning database from `text`; `file` names it in errors, which say
// the line and what is wrong: a database is input like any other.
inline tuning_table parse_tuning(std::string_view text, const std::string& file) {
    tuning_table table;
    std::istringstream lines{std::string(text)};
    std::string line;
    int number = 0;
    const auto fail = [&](const std::string& why) {
        return std::invalid_argument(file + ":" + std::to_string(number) + ": " + why);
    };
    while (std::getline(lines, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const std::size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#') continue;
        std::istringstream words(line.substr(start));
        std::string head;
        words >> head;
        std::string rest;
        std::getline(words, rest);
        rest.erase(0, std::min(rest.size(), rest.find_first_not_of(" \t")));
        if (head == "cpu" || head == "name" || head == "date") {
            if (rest.empty()) throw fail("\"" + head + "\" needs a value");
            (head == "cpu" ? table.cpu : head == "name" ? table.name : table.date) = rest;
            continue;
        }
        if (head == "targets") {
            std::istringstream names(rest);
            for (std::string t; names >> t;) {
                if (t != "baseline" && t != "sse41" && t != "avx2" && t != "avx512")
                    throw fail("unknown target \"" + t + "\" (baseline, sse41, avx2 or avx512)");
                table.targets.push_back(t);
            }
            if (table.targets.empty()) throw fail("\"targets\" needs at least one target");
            continue;
        }
        const auto pass = std::find(std::begin(pass_names), std::end(pass_names), head);
        if (pass == std::end(pass_names))
            throw fail("unknown record \"" + head +
                       "\" (cpu, name, targets, date, forward, input_gradient or weight_gradient)");
        tuning_record r;
        r.key.pass = conv_pass(pass - std::begin(pass_names));
        bool seen[10] = {};
        constexpr const char* fields[] = {"in",     "out",    "kernel", "stride",     "dilation",
                                          "groups", "choice", "ms",     "default_ms", "tried"};
        std::istringstream pairs(rest);
        for (std::string pair; pairs >> pair;) {
            const std::size_t eq = pair.find('=');
            const std::string name = pair.substr(0, eq), value = eq == std::string::npos ? "" : pair.substr(eq + 1);
            const auto field = std::find_if(std::begin(fields), std::end(fields), [&](const char* f) { return name == f; });
            if (eq == std::string::npos || field == std::end(fields))
                throw fail("\"" + pair + "\" is not one of in=, out=, kernel=, stride=, dilation=, groups=, choice=, ms=, "
                           "default_ms=, tried=");
            const auto index = std::size_t(field - std::begin(fields));
            if (seen[index]) throw fail("\"" + name + "\" is given twice");
            seen[index] = true;
            if (name == "in" || name == "out") {
                auto m = detail::map_of(value);
                if (!m) throw fail(name + "=" + value + " is not channels x height x width (e.g. 32x28x28)");
                (name == "in" ? r.key.in : r.key.out) = *m;
            } else if (name == "kernel" || name == "stride" || name == "dilation" || name == "groups") {
                auto v = detail::small_number(value);
                if (!v) throw fail(name + "=" + value + " is not a whole number from 1 to 99999");
                (name == "kernel" ? r.key.kernel : name == "stride" ? r.key.stride : name == "dilation" ? r.key.dilation
                                                                                                        : r.key.groups) = *v;
            } else if (name == "choice") {
                try {
                    r.choice = parse_choice(value);
                } catch (const std::invalid_argument& e) {
                    throw fail(e.what());
                }
            } else if (name == "ms" || name == "default_ms") {
                auto v = detail::milliseconds(value);
                if (!v) throw fail(name + "=" + value + " is not a time in milliseconds");
                (name == "ms" ? r.ms : r.default_ms) = *v;
            } else {  // tried=choice:ms,choice:ms
                std::istringstream items(value);
                for (std::string item; std::getline(items, item, ',');) {
                    const std::size_t colon = item.rfind(':');
                    auto v = colon == std::string::npos ? std::nullopt : detail::milliseconds(item.substr(colon + 1));
                    if (!v) throw fail("tried: \"" + item + "\" is not choice:milliseconds");
                    try {
                        parse_choice(item.substr(0, colon));
                    } catch (const std::invalid_argument& e) {
                        throw fail(std::string("tried: ") + e.what());
                    }
                    r.tried.emplace_back(item.substr(0, colon), *v);
                }
            }
        }
        for (std::size_t i = 0; i < 9; ++i)  // all but tried=
            if (!seen[i]) throw fail(head + " record without " + fields[i] + "=");
        if (r.key.in.c % r.key.groups != 0 || r.key.out.c % r.key.groups != 0)
            throw fail("groups=" + std::to_string(r.key.groups) + " does not divide the channels " +
                       std::to_string(r.key.in.c) + " and " + std::to_string(r.key.out.c));
        for (const tuning_record& other : table.records)
            if (other.key == r.key) throw fail("a second record for " + std::string(head) + " " + shape_text(r.key));
        table.records.push_back(std::move(r));
    }
    if (table.cpu.empty()) throw std::invalid_argument(file + ": no \"cpu\" line: the database names its CPU model");
    if (table.targets.empty())
        throw std::invalid_argument(file + ": no \"targets\" line: the database names the instruction sets it was measured with");
    return table;
}

inline tuning_table read_tuning(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::invalid_argument(file + ": cannot open the tuning database");
    std::ostringstream text;
    text << in.rdbuf();
    return parse_tuning(text.str(), file);
}

inline std::string format_tuning(const tuning_table& t) {
    std::ostringstream out;
    out << "# typenet tuning database: written by tools/tune, read by typenet_add_network.\n"
        << "# One conv pass per line: its shape, the choice measured fastest, its time and the\n"
        << "# default's (ms per batch of 64 in the pass's pipeline, from their last race), and\n"
        << "# every candidate tried, as its time over the default's in their race (the median of\n"
        << "# the rounds) times the default's ms.\n";
    out << "cpu " << t.cpu << "\n";
    if (!t.name.empty()) out << "name " << t.name << "\n";
    out << "targets";
    for (const std::string& target : t.targets) out << " " << target;
    out << "\n";
    if (!t.date.empty()) out << "date " << t.date << "\n";
    const auto ms = [](double v) {
        std::ostringstream s;
        s.precision(4);
        s << std::fixed << v;
        return s.str();
    };
    for (const tuning_record& r : t.records) {
        out << pass_names[int(r.key.pass)] << " " << shape_text(r.key) << " choice=" << to_string(r.choice)
            << " ms=" << ms(r.ms) << " default_ms=" << ms(r.default_ms);
        if (!r.tried.empty()) {
            out << " tried=";
            for (std::size_t i = 0; i < r.tried.size(); ++i)
                out << (i ? "," : "") << r.tried[i].first << ":" << ms(r.tried[i].second);
        }
        out << "\n";
    }
    return out.str();
}

}  // namespace typenet::gen
