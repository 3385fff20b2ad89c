// The tuning database's reader (generators/.../tuning.hpp): a database is
// input like any other, so a malformed or truncated one is refused with the
// file and line; and the choice for a shape it lacks is the nearest tuned
// shape's, or the default.
#include <catch2/catch.hpp>
#include <string>
#include <typenet/generators/tuning.hpp>

using namespace typenet::gen;

namespace {

const std::string header = "cpu amd-25-1\nname AMD EPYC 7B13\ntargets avx2\ndate 2026-12-03\n";
const std::string record =
    "forward in=32x28x28 out=32x28x28 kernel=3 stride=1 dilation=1 groups=1 choice=along_x+v2+c6+quarters "
    "ms=1.1000 default_ms=1.3100 tried=default:1.3100,winograd+rows:1.2500\n";

// The message parse_tuning refuses `text` with.
std::string refusal(const std::string& text) {
    try {
        parse_tuning(text, "db.tuning");
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(accepted)";
}

conv_key key(conv_pass pass, conv_map in, conv_map out, int groups = 1) { return {pass, in, out, 3, 1, 1, groups}; }

}  // namespace

TEST_CASE("a tuning database is read field by field", "[tuning]") {
    const tuning_table t = parse_tuning("# comment\n\n" + header + record, "db.tuning");
    CHECK(t.cpu == "amd-25-1");
    CHECK(t.name == "AMD EPYC 7B13");
    CHECK(t.targets == std::vector<std::string>{"avx2"});
    CHECK(t.date == "2026-12-03");
    REQUIRE(t.records.size() == 1);
    const tuning_record& r = t.records[0];
    CHECK(r.key == key(conv_pass::forward, {32, 28, 28}, {32, 28, 28}));
    CHECK(r.choice.route == conv_choice::path::along_x);
    CHECK(r.choice.vectors == 2);
    CHECK(r.choice.channels == 6);
    CHECK(r.choice.parallel == conv_choice::grain::quarters);
    CHECK(r.choice.images == 0);
    CHECK(r.ms == 1.1);
    CHECK(r.default_ms == 1.31);
    REQUIRE(r.tried.size() == 2);
    CHECK(r.tried[1].first == "winograd+rows");
    CHECK(r.tried[1].second == 1.25);
}

TEST_CASE("a written tuning database reads back the same", "[tuning]") {
    tuning_table t = parse_tuning(header + record, "db.tuning");
    t.records.push_back({key(conv_pass::weight_gradient, {16, 14, 14}, {16, 14, 14}, 16),
                         {conv_choice::path::channel_vectors, 0, 0, conv_choice::grain::automatic, 12},
                         2.5,
                         3.0,
                         {{"default", 3.0}}});
    t.records.push_back({key(conv_pass::input_gradient, {64, 14, 14}, {64, 14, 14}, 8),
                         {conv_choice::path::pitched_rows, 2, 8, conv_choice::grain::automatic, 0},
                         0.5,
                         0.7,
                         {{"default", 0.7}, {"along_x+v1+c16+images", 0.9}}});
    const tuning_table back = parse_tuning(format_tuning(t), "written.tuning");
    REQUIRE(back.records.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(back.records[i].key == t.records[i].key);
        CHECK(back.records[i].choice == t.records[i].choice);
        CHECK(back.records[i].ms == Approx(t.records[i].ms));
    }
    CHECK(to_string(back.records[1].choice) == "channel_vectors+i12");
    CHECK(to_string(back.records[2].choice) == "pitched_rows+v2+c8");
}

TEST_CASE("a malformed tuning database is refused with its file and line", "[tuning]") {
    // Line 5 is the record in every case below.
    CHECK(refusal(header + "forward in=32x28 out=32x28x28 kernel=3 stride=1 dilation=1 groups=1 choice=default ms=1 "
                           "default_ms=1\n") ==
          "db.tuning:5: in=32x28 is not channels x height x width (e.g. 32x28x28)");
    CHECK(refusal(header + "forward in=32x28x28 out=32x28x28 kernel=0 stride=1 dilation=1 groups=1 choice=default "
                           "ms=1 default_ms=1\n") == "db.tuning:5: kernel=0 is not a whole number from 1 to 99999");
    CHECK(refusal(header + "backward in=32x28x28\n") ==
          "db.tuning:5: unknown record \"backward\" (cpu, name, targets, date, forward, input_gradient or "
          "weight_gradient)");
    CHECK(refusal(header + "forward in=32x28x28 out=32x28x28 kernel=3 stride=1 dilation=1 groups=1 "
                           "choice=along_x+fast ms=1 default_ms=1\n")
              .starts_with("db.tuning:5: the choice \"along_x+fast\" has an unknown part \"fast\""));
    CHECK(refusal(header + "forward in=32x28x28 out=32x28x28 kernel=3 stride=1 dilation=1 groups=1 "
                           "choice=winograd+along_x ms=1 default_ms=1\n")
              .starts_with("db.tuning:5: the choice \"winograd+along_x\" names two paths"));
    CHECK(refusal(header + "forward in=32x28x28 out=32x28x28 kernel=3 stride=1 dilation=1 groups=1 choice=v3 ms=1 "
                           "default_ms=1\n")
              .starts_with("db.tuning:5: the choice \"v3\" asks for 3 vectors along x (1 or 2)"));
    CHECK(refusal(header + "forward in=32x28x28 out=32x28x28 kernel=3 stride=1 dilation=1 groups=1 choice=default "
                           "ms=nan default_ms=1\n") == "db.tuning:5: ms=nan is not a time in milliseconds");
    CHECK(refusal(header + "forward in=32x28x28 out=32x28x28 kernel=3 stride=1 dilation=1 groups=3 choice=default "
                           "ms=1 default_ms=1\n") ==
          "db.tuning:5: groups=3 does not divide the channels 32 and 32");
    CHECK(refusal(header + "forward in=32x28x28 out=32x28x28 kernel=3 stride=1 stride=2\n") ==
          "db.tuning:5: \"stride\" is given twice");
    CHECK(refusal(header + record + record) ==
          "db.tuning:6: a second record for forward in=32x28x28 out=32x28x28 kernel=3 stride=1 dilation=1 groups=1");
    CHECK(refusal(header + "forward in=32x28x28 out=32x28x28 kernel=3 stride=1 dilation=1 groups=1 choice=default "
                           "ms=1 default_ms=1 tried=default\n") ==
          "db.tuning:5: tried: \"default\" is not choice:milliseconds");
    CHECK(refusal("cpu amd-25-1\ntargets avx3\n") ==
          "db.tuning:2: unknown target \"avx3\" (baseline, sse41, avx2 or avx512)");
    CHECK(refusal("targets avx2\n" + record) == "db.tuning: no \"cpu\" line: the database names its CPU model");
}

TEST_CASE("a truncated tuning database is refused at the line it stops in", "[tuning]") {
    const std::string whole = header + record;
    // Cut inside the record's shape, then just before its times.
    CHECK(refusal(whole.substr(0, whole.find(" kernel=3"))) == "db.tuning:5: forward record without kernel=");
    CHECK(refusal(whole.substr(0, whole.find(" ms="))) == "db.tuning:5: forward record without ms=");
    CHECK(refusal(header.substr(0, header.find("targets"))) ==
          "db.tuning: no \"targets\" line: the database names the instruction sets it was measured with");
}

TEST_CASE("a shape a database lacks takes the nearest tuned shape's choice, or the default", "[tuning]") {
    tuning_table t = parse_tuning(header, "db.tuning");
    const conv_choice wide{conv_choice::path::along_x, 2, 4, conv_choice::grain::images, 0};
    const conv_choice narrow{conv_choice::path::across_channels, 0, 0, conv_choice::grain::rows, 0};
    const conv_choice depthwise{conv_choice::path::along_x, 1, 0, conv_choice::grain::quarters, 0};
    t.records.push_back({key(conv_pass::forward, {32, 28, 28}, {32, 28, 28}), wide, 1, 1, {}});
    t.records.push_back({key(conv_pass::forward, {64, 7, 7}, {64, 7, 7}), narrow, 1, 1, {}});
    t.records.push_back({key(conv_pass::forward, {64, 14, 14}, {64, 14, 14}, 64), depthwise, 1, 1, {}});

    CHECK(t.choose(key(conv_pass::forward, {32, 28, 28}, {32, 28, 28})) == wide);
    CHECK(t.choose(key(conv_pass::forward, {32, 24, 24}, {32, 24, 24})) == wide);
    CHECK(t.choose(key(conv_pass::forward, {64, 8, 8}, {64, 8, 8})) == narrow);
    // A grouped conv borrows from grouped ones only, a plain one from plain ones.
    CHECK(t.choose(key(conv_pass::forward, {32, 28, 28}, {32, 28, 28}, 32)) == depthwise);
    CHECK(t.choose(key(conv_pass::forward, {64, 14, 14}, {64, 14, 14})) != depthwise);
    // Another pass, kernel or stride: nothing near, the default.
    CHECK(t.choose(key(conv_pass::input_gradient, {32, 28, 28}, {32, 28, 28})).is_default());
    conv_key five = key(conv_pass::forward, {32, 28, 28}, {32, 28, 28});
    five.kernel = 5;
    CHECK(t.choose(five).is_default());
    CHECK(tuning_table{}.choose(key(conv_pass::forward, {32, 28, 28}, {32, 28, 28})).is_default());
}
