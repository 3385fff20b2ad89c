// The processes a training run is spread over, and the few collective
// operations data-parallel training needs. Every call is collective: each
// rank makes the same calls in the same order, or the job waits forever.
//
//   one_process()             a run of one (every operation is a no-op)
//   typenet::mpi_world()      every rank mpirun started (typenet/mpi_world.hpp,
//                             built when CMake finds MPI)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace typenet {

// An error every rank throws alike, at the same point of the run (the ranks
// disagree, the loss is not a number): each rank can end normally, no rank
// is left waiting in a collective call.
struct collective_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class communicator {
public:
    virtual ~communicator() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // How many of the ranks run on this rank's machine (they share its cores).
    virtual int size_on_this_host() const = 0;
    bool is_root() const { return rank() == 0; }

    // Element-wise sums over all ranks, in place: every rank gets them.
    virtual void sum(std::span<float> values) = 0;
    virtual void sum(std::span<double> values) = 0;
    // Rank 0's values, on every rank.
    virtual void broadcast(std::span<float> values) = 0;
    // Every rank's text, indexed by rank, on every rank.
    virtual std::vector<std::string> gather(const std::string& text) = 0;
    // Ends every rank's process now with `status` (MPI_Abort): for an error
    // only this rank has seen, when the others may be waiting on it.
    [[noreturn]] virtual void abort(int status) = 0;
};

// A run of one process.
communicator& one_process();

// Whether an MPI launcher (mpirun, mpiexec, srun) started this process: its
// environment names a world size or rank.
bool launched_by_mpi();

// One fact each rank states about its run ("seed", "7"), compared by agree().
struct stated_fact {
    std::string name, value;
};

// Throws collective_error on every rank unless every rank states the same
// facts as rank 0, naming the first rank and fact that differ: "rank 1 of 2
// disagrees with rank 0 on the seed: 7, not 1".
void agree(communicator& ranks, const std::vector<stated_fact>& facts);

// Runs `step` on every rank (each its own part of it: rank 0 writes a file,
// every rank reads its data), then, unless it succeeded on all, throws
// collective_error on all, naming each rank that failed and why: "rank 1 of
// 2: typenet: /data/train-images-idx3-ubyte.gz: no such file". No rank is left
// waiting for one that stopped, and rank 0 can say why: a rank that ends the
// job alone (MPI_Abort) may lose its last words on the way to the launcher.
// Costs one gather, so it is for steps taken now and then, not every batch.
// On one process the step's own exception passes through unchanged.
void all_or_none(communicator& ranks, const std::function<void()>& step);

// Rank 0's names and values, on every rank.
std::map<std::string, std::string> share_from_root(communicator& ranks, const std::map<std::string, std::string>& values);

// An order-dependent 64-bit digest of bytes (for comparing data and
// parameters across ranks without sending them).
std::uint64_t digest(std::span<const std::uint8_t> bytes);

}  // namespace typenet
