#include <cstdlib>
#include <cstring>
#include <sstream>
#include <typenet/communicator.hpp>

namespace typenet {

namespace {

class single_process final : public communicator {
public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    int size_on_this_host() const override { return 1; }
    void sum(std::span<float>) override {}
    void sum(std::span<double>) override {}
    void broadcast(std::span<float>) override {}
    std::vector<std::string> gather(const std::string& text) override { return {text}; }
    [[noreturn]] void abort(int status) override { std::exit(status); }
};

// Facts travel as "name\x1fvalue\x1e" records: no fact holds either separator.
std::string encode(const std::vector<stated_fact>& facts) {
    std::string text;
    for (const stated_fact& f : facts) text += f.name + '\x1f' + f.value + '\x1e';
    return text;
}

std::vector<stated_fact> decode(const std::string& text) {
    std::vector<stated_fact> facts;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t split = text.find('\x1f', start), end = text.find('\x1e', start);
        if (split == std::string::npos || end == std::string::npos || split > end) break;
        facts.push_back({text.substr(start, split - start), text.substr(split + 1, end - split - 1)});
        start = end + 1;
    }
    return facts;
}

// A value of many lines (a network's summary) is shown by its first differing line.
std::string difference(const std::string& theirs, const std::string& ours) {
    if (theirs.find('\n') == std::string::npos && ours.find('\n') == std::string::npos)
        return theirs + ", not " + ours;
    std::istringstream a(theirs), b(ours);
    std::string line_a, line_b;
    for (int line = 1;; ++line) {
        const bool more_a = bool(std::getline(a, line_a)), more_b = bool(std::getline(b, line_b));
        if (!more_a && !more_b) return "(the same lines)";
        if (!more_a) line_a = "(nothing)";
        if (!more_b) line_b = "(nothing)";
        if (line_a != line_b) return "line " + std::to_string(line) + " is \"" + line_a + "\", not \"" + line_b + "\"";
    }
}

}  // namespace

communicator& one_process() {
    static single_process one;
    return one;
}

bool launched_by_mpi() {
    // Open MPI, MPICH's Hydra and Slurm's PMI, PMIx.
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
        if (std::getenv(name)) return true;
    return false;
}

void agree(communicator& ranks, const std::vector<stated_fact>& facts) {
    if (ranks.size() == 1) return;
    const std::vector<std::string> all = ranks.gather(encode(facts));
    const std::vector<stated_fact> root = decode(all[0]);
    const std::string world = " of " + std::to_string(ranks.size());
    for (std::size_t r = 1; r < all.size(); ++r) {
        const std::vector<stated_fact> theirs = decode(all[r]);
        std::string problem;
        for (std::size_t i = 0; i < root.size() && problem.empty(); ++i) {
            if (i >= theirs.size() || theirs[i].name != root[i].name)
                problem = "states no " + root[i].name + " where rank 0 does (another typenet build?)";
            else if (theirs[i].value != root[i].value)
                problem = "disagrees with rank 0 on the " + root[i].name + ": " + difference(theirs[i].value, root[i].value);
        }
        if (problem.empty() && theirs.size() != root.size())
            problem = "states " + std::to_string(theirs.size()) + " facts about its run where rank 0 states " +
                      std::to_string(root.size()) + " (another typenet build?)";
        if (!problem.empty())
            throw collective_error("typenet: rank " + std::to_string(r) + world + " " + problem +
                                   ". Every rank must train the same network with the same settings on the same "
                                   "data; the run did not start.");
    }
}

void all_or_none(communicator& ranks, const std::function<void()>& step) {
    if (ranks.size() == 1) return step();
    std::string failure;
    try {
        step();
    } catch (const std::exception& e) {
        failure = e.what();
        if (failure.empty()) failure = "failed without a message";
    }
    std::string all;
    const std::vector<std::string> failures = ranks.gather(failure);
    for (std::size_t r = 0; r < failures.size(); ++r)
        if (!failures[r].empty())
            all += (all.empty() ? "" : "\n") + ("rank " + std::to_string(r) + " of " + std::to_string(ranks.size()) + ": ") +
                   failures[r];
    if (!all.empty()) throw collective_error(all);
}

std::map<std::string, std::string> share_from_root(communicator& ranks, const std::map<std::string, std::string>& values) {
    std::vector<stated_fact> facts;
    if (ranks.is_root())
        for (const auto& [name, value] : values) facts.push_back({name, value});
    std::map<std::string, std::string> shared;
    for (stated_fact& f : decode(ranks.gather(encode(facts))[0])) shared[f.name] = std::move(f.value);
    return shared;
}

std::uint64_t digest(std::span<const std::uint8_t> bytes) {
    constexpr std::uint64_t odd = 0x9e3779b97f4a7c15ULL;
    std::uint64_t h = 0x243f6a8885a308d3ULL ^ (bytes.size() * odd);
    const auto mix = [&](std::uint64_t word) {
        h = (h ^ word) * odd;
        h ^= h >> 29;
    };
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, bytes.data() + i, 8);
        mix(word);
    }
    std::uint64_t tail = 0;
    if (i < bytes.size()) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
    mix(tail);
    return h ^ (h >> 32);
}

}  // namespace typenet
