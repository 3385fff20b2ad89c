// The processes of this run: MPI's world when an MPI launcher started the
// program (mpirun -np 4 fashion_mnist ...), else this process alone.
#pragma once

#include <stdexcept>
#include <typenet/communicator.hpp>
#ifdef TYPENET_HAS_MPI
#include <typenet/mpi_world.hpp>
#endif

namespace samples {

inline typenet::communicator& job_ranks() {
    if (!typenet::launched_by_mpi()) return typenet::one_process();
#ifdef TYPENET_HAS_MPI
    return typenet::mpi_world();
#else
    // Each process would otherwise train alone, all of them writing the same files.
    throw std::runtime_error(
        "typenet: an MPI launcher started this program, but it was built without MPI: install libopenmpi-dev "
        "(tools/install-deps.sh) and rebuild, or run it without mpirun");
#endif
}

}  // namespace samples
