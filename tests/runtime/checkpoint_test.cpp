// Checkpoints: the safetensors bytes as the format defines them, round trips,
// another network's file refused, and saves that cannot half-happen.
#include <catch2/catch.hpp>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <typenet/checkpoint.hpp>
#include <typenet/dsl.hpp>

#include "../../fuzz/harnesses.hpp"
#include "temp_dir.hpp"

using namespace typenet;
using namespace typenet::dsl;

namespace {
inline constexpr auto small = input<1, 6, 6> | conv<4, 3> | batchnorm | relu | flatten | dense<3>;
inline constexpr auto wider = input<1, 6, 6> | conv<5, 3> | batchnorm | relu | flatten | dense<3>;

std::vector<char> file_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

template <class Net>
struct model {
    std::vector<float> params = std::vector<float>(total_count(parameter_layout(Net{})));
    std::vector<float> buffers = std::vector<float>(total_count(buffer_layout(Net{})));
    optimizer optim{optimizer_options::adam(), params.size()};
    explicit model(float base) {
        for (std::size_t i = 0; i < params.size(); ++i) params[i] = base + 0.001f * float(i);
        for (std::size_t i = 0; i < buffers.size(); ++i) buffers[i] = base - 0.5f * float(i);
    }
    training_state_view view(bool with_optimizer = true) {
        return {params, parameter_layout(Net{}), buffers, buffer_layout(Net{}), with_optimizer ? &optim : nullptr, 42};
    }
};
}  // namespace

TEST_CASE("a checkpoint is safetensors with PyTorch's names, shapes and bytes", "[checkpoint]") {
    temp_dir dir;
    model<decltype(small)> m(0.25f);
    save_checkpoint(dir / "c.safetensors", m.view(false), {{"epoch", "3"}});
    const std::vector<char> bytes = file_bytes(dir / "c.safetensors");
    std::uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = length << 8 | static_cast<unsigned char>(bytes[std::size_t(i)]);  // little-endian
    REQUIRE(8 + length <= bytes.size());
    CHECK((8 + length) % 8 == 0);
    const auto header = nlohmann::json::parse(std::string(bytes.data() + 8, length));
    CHECK(header["__metadata__"]["epoch"] == "3");
    CHECK(header["0.weight"]["dtype"] == "F32");
    CHECK(header["0.weight"]["shape"] == nlohmann::json::array({4, 1, 3, 3}));
    CHECK(header["4.weight"]["shape"] == nlohmann::json::array({3, 64}));  // dense: out x in
    CHECK(header["1.running_var"]["shape"] == nlohmann::json::array({4}));
    CHECK(header["1.num_batches_tracked"]["dtype"] == "I64");
    CHECK(header["1.num_batches_tracked"]["shape"] == nlohmann::json::array());
    const auto offsets = header["4.bias"]["data_offsets"].get<std::vector<std::size_t>>();
    REQUIRE(offsets[1] - offsets[0] == 3 * sizeof(float));
    float bias[3];
    std::memcpy(bias, bytes.data() + 8 + length + offsets[0], sizeof bias);
    const auto& entry = *find_tensor(parameter_layout(small), "4.bias");
    for (int i = 0; i < 3; ++i) CHECK(bias[i] == m.params[entry.offset + std::size_t(i)]);
    const auto tracked = header["1.num_batches_tracked"]["data_offsets"].get<std::vector<std::size_t>>();
    std::int64_t batches = 0;
    std::memcpy(&batches, bytes.data() + 8 + length + tracked[0], 8);
    CHECK(batches == 42);
}

TEST_CASE("a checkpoint round trip restores parameters, statistics and optimizer state", "[checkpoint]") {
    temp_dir dir;
    model<decltype(small)> saved(0.5f);
    std::vector<float> grads(saved.params.size(), 0.1f);
    saved.optim.step(saved.params, grads);
    saved.optim.step(saved.params, grads);
    save_checkpoint(dir / "c.safetensors", saved.view(), {{"seed", "9"}});

    model<decltype(small)> loaded(-1.0f);
    training_state_view view = loaded.view();
    view.batches_tracked = 0;
    const checkpoint_metadata meta = load_checkpoint(dir / "c.safetensors", view);
    CHECK(meta.at("seed") == "9");
    CHECK(meta.at("optimizer") == "adam");
    CHECK(loaded.params == saved.params);
    CHECK(loaded.buffers == saved.buffers);
    CHECK(view.batches_tracked == 42);
    CHECK(loaded.optim.steps() == 2);
    for (std::size_t s = 0; s < 2; ++s) {
        const auto a = saved.optim.state()[s].values, b = loaded.optim.state()[s].values;
        CHECK(std::equal(a.begin(), a.end(), b.begin()));
    }
    // The next step is the same from both.
    saved.optim.step(saved.params, grads);
    loaded.optim.step(loaded.params, grads);
    CHECK(loaded.params == saved.params);
}

TEST_CASE("another network's checkpoint is refused, naming the tensor and both shapes", "[checkpoint]") {
    temp_dir dir;
    model<decltype(wider)> other(0.5f);
    save_checkpoint(dir / "wider.safetensors", other.view(false), {});
    model<decltype(small)> mine(2.0f);
    const auto before = mine.params;
    training_state_view view = mine.view(false);
    CHECK_THROWS_WITH(load_checkpoint(dir / "wider.safetensors", view),
                      Catch::Contains("does not fit this network") &&
                          Catch::Contains("tensor \"0.weight\" is 5x1x3x3 in the checkpoint but 4x1x3x3 in this network"));
    CHECK(mine.params == before);  // nothing changed

    // A model-only checkpoint cannot resume an optimizer.
    model<decltype(small)> same(0.5f);
    save_checkpoint(dir / "small.safetensors", same.view(false), {});
    training_state_view with_optimizer = mine.view(true);
    CHECK_THROWS_WITH(load_checkpoint(dir / "small.safetensors", with_optimizer), Catch::Contains("no optimizer state"));
}

TEST_CASE("a checkpoint whose optimizer step count is unreadable restores nothing", "[checkpoint]") {
    temp_dir dir;
    model<decltype(small)> saved(0.5f);
    save_checkpoint(dir / "c.safetensors", saved.view(), {});
    safetensors_file file = read_safetensors(dir / "c.safetensors");
    file.metadata["optimizer_steps"] = "many";
    write_safetensors(dir / "c.safetensors", file);

    model<decltype(small)> loaded(-1.0f);
    const auto before = loaded.params;
    training_state_view view = loaded.view();
    CHECK_THROWS_WITH(load_checkpoint(dir / "c.safetensors", view),
                      Catch::Contains("optimizer_steps metadata, \"many\", is not a count"));
    CHECK(loaded.params == before);
    file.metadata.erase("optimizer_steps");
    write_safetensors(dir / "c.safetensors", file);
    CHECK_THROWS_WITH(load_checkpoint(dir / "c.safetensors", view), Catch::Contains("optimizer_steps metadata is missing"));
    CHECK(loaded.params == before);
}

TEST_CASE("a damaged checkpoint is refused with the reason", "[checkpoint]") {
    temp_dir dir;
    model<decltype(small)> m(0.5f);
    save_checkpoint(dir / "c.safetensors", m.view(false), {});
    auto bytes = file_bytes(dir / "c.safetensors");
    std::ofstream(dir / "cut.safetensors", std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() - 10));
    training_state_view view = m.view(false);
    CHECK_THROWS_WITH(load_checkpoint(dir / "cut.safetensors", view), Catch::Contains("cut.safetensors"));
    std::ofstream(dir / "junk.safetensors", std::ios::binary).write("\x05\0\0\0\0\0\0\0hello", 13);
    CHECK_THROWS_WITH(load_checkpoint(dir / "junk.safetensors", view), Catch::Contains("not a JSON object"));
    CHECK_THROWS_WITH(load_checkpoint(dir / "none.safetensors", view), Catch::Contains("cannot be opened"));
}

TEST_CASE("a save that fails midway leaves the previous checkpoint intact and no temporary file", "[checkpoint]") {
    temp_dir dir;
    model<decltype(small)> first(0.5f), second(7.0f);
    save_checkpoint(dir / "c.safetensors", first.view(false), {});
    const auto before = file_bytes(dir / "c.safetensors");

    // The file-size limit makes write() fail part-way, as a full disk would.
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    getrlimit(RLIMIT_FSIZE, &old);
    rlimit tight = old;
    tight.rlim_cur = 300;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &tight) == 0);
    std::string message;
    try {
        save_checkpoint(dir / "c.safetensors", second.view(true), {});
    } catch (const checkpoint_error& e) {
        message = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK_THAT(message, Catch::Contains("cannot save checkpoint") && Catch::Contains("unchanged"));
    CHECK(file_bytes(dir / "c.safetensors") == before);
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path), {}) == 1);
}

TEST_CASE("a save removes the temporary files of killed saves, not of live ones", "[checkpoint]") {
    temp_dir dir;
    const pid_t child = fork();
    if (child == 0) _exit(0);
    REQUIRE(child > 0);
    waitpid(child, nullptr, 0);  // a process that is gone, as one killed while saving
    const std::string dead = "c.safetensors.tmp-" + std::to_string(child);
    const std::string live = "c.safetensors.tmp-" + std::to_string(getppid());
    const std::string other = "d.safetensors.tmp-" + std::to_string(child);
    for (const std::string& name : {dead, live, other}) std::ofstream(dir / name) << "half a checkpoint";
    model<decltype(small)> m(0.5f);
    save_checkpoint(dir / "c.safetensors", m.view(false), {});
    CHECK_FALSE(std::filesystem::exists(dir / dead));
    CHECK(std::filesystem::exists(dir / live));
    CHECK(std::filesystem::exists(dir / other));  // another checkpoint's, left to its own saves
}

namespace {
// A safetensors file made by hand: an 8-byte length, the JSON header, the data.
void write_raw(const std::filesystem::path& p, const std::string& header, std::size_t data_bytes) {
    std::ofstream out(p, std::ios::binary);
    const std::uint64_t length = header.size();
    out.write(reinterpret_cast<const char*>(&length), 8);
    out << header << std::string(data_bytes, '\0');
}
}  // namespace

TEST_CASE("a safetensors header cannot make the reader allocate or read past the file", "[checkpoint]") {
    temp_dir dir;
    const auto refused = [&](const std::string& header, std::size_t data_bytes, const std::string& message) {
        write_raw(dir / "h.safetensors", header, data_bytes);
        CHECK_THROWS_WITH(read_safetensors(dir / "h.safetensors"),
                          Catch::Contains("h.safetensors") && Catch::Contains(message));
    };
    refused(R"({"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,0]}})", 0,
            "whose size overflows");
    refused(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", 8, "not two non-negative integers");
    refused(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8, "not a list of at most 8 non-negative");
    refused(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4, "lies outside the file's data");
    refused(R"({"a":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", 8, "unknown dtype 7");
    refused(R"({"a":[1,2]})", 0, "is not a JSON object");
    // A thousand names over the same 4 MB: refused before any of them is copied.
    std::string many = "{";
    for (int i = 0; i < 1000; ++i)
        many += (i ? "," : "") + std::string("\"t") + std::to_string(i) +
                R"(":{"dtype":"U8","shape":[4194304],"data_offsets":[0,4194304]})";
    refused(many + "}", 4194304, "overlaps another or leaves a gap");
}

TEST_CASE("the fuzzed checkpoint loader's network is this file's small network", "[checkpoint]") {
    // fuzz/readers.cpp lays the network out by hand (clang cannot compile the
    // dsl); its seed must load into the dsl's own layout, optimizer and all.
    temp_dir dir;
    typenet::fuzz::write_checkpoint_seed(dir / "seed.safetensors");
    model<decltype(small)> m(0.5f);
    training_state_view view = m.view();
    const checkpoint_metadata meta = load_checkpoint(dir / "seed.safetensors", view);
    CHECK(meta.at("epoch") == "2");
    CHECK(m.params[5] == Approx(0.05f));
}

TEST_CASE("a checkpoint whose epoch is not a count restores nothing", "[checkpoint]") {
    temp_dir dir;
    model<decltype(small)> saved(0.5f), loaded(0.25f);
    for (const char* epoch : {"-3", "two", "99999999999"}) {
        save_checkpoint(dir / "c.safetensors", saved.view(), {{"epoch", epoch}});
        training_state_view view = loaded.view();
        CHECK_THROWS_WITH(load_checkpoint(dir / "c.safetensors", view),
                          Catch::Contains("epoch metadata, \"" + std::string(epoch) + "\", is not a count"));
        CHECK(loaded.params == model<decltype(small)>(0.25f).params);
    }
}
