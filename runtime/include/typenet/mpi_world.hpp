// MPI's world as a typenet::communicator: every rank an MPI launcher
// started. Built (library typenet::distributed) when CMake finds MPI.
//
//   typenet::communicator& ranks = typenet::launched_by_mpi() ? typenet::mpi_world() : typenet::one_process();
//   typenet::trainer<fashion_net_kernels> t(seed, {}, ranks);
#pragma once

#include "communicator.hpp"

namespace typenet {

// Initializes MPI on the first call (and finalizes it at exit). MPI's default
// error handler stays: a failed call, or a rank that dies, ends every rank.
communicator& mpi_world();

}  // namespace typenet
