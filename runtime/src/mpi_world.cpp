// MPI's C API alone: its deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <typenet/mpi_world.hpp>

namespace typenet {

namespace {

int count_of(std::size_t n) {
    if (n > std::size_t(INT_MAX)) throw std::length_error("typenet: an MPI message of over 2^31 elements");
    return int(n);
}

class world final : public communicator {
public:
    world() {
        int provided = 0;
        // Halide's worker threads never call MPI: the main thread alone does.
        MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
        MPI_Comm_size(MPI_COMM_WORLD, &size_);
        MPI_Comm host;
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &host);
        MPI_Comm_size(host, &size_on_host_);
        MPI_Comm_free(&host);
    }
    ~world() override {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Finalize();
    }
    int rank() const override { return rank_; }
    int size() const override { return size_; }
    int size_on_this_host() const override { return size_on_host_; }
    void sum(std::span<float> values) override {
        MPI_Allreduce(MPI_IN_PLACE, values.data(), count_of(values.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    void sum(std::span<double> values) override {
        MPI_Allreduce(MPI_IN_PLACE, values.data(), count_of(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    }
    void broadcast(std::span<float> values) override {
        MPI_Bcast(values.data(), count_of(values.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
    }
    std::vector<std::string> gather(const std::string& text) override {
        const int length = count_of(text.size());
        std::vector<int> lengths(static_cast<std::size_t>(size_), 0), offsets(lengths);
        MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD);
        std::size_t total = 0;
        for (int r = 0; r < size_; ++r) offsets[std::size_t(r)] = count_of(total), total += std::size_t(lengths[std::size_t(r)]);
        std::string all(total, '\0');
        MPI_Allgatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                       MPI_COMM_WORLD);
        std::vector<std::string> texts;
        for (int r = 0; r < size_; ++r)
            texts.push_back(all.substr(std::size_t(offsets[std::size_t(r)]), std::size_t(lengths[std::size_t(r)])));
        return texts;
    }
    [[noreturn]] void abort(int status) override {
        MPI_Abort(MPI_COMM_WORLD, status);
        std::exit(status);
    }

private:
    int rank_ = 0, size_ = 1, size_on_host_ = 1;
};

}  // namespace

communicator& mpi_world() {
    static world ranks;
    return ranks;
}

}  // namespace typenet
