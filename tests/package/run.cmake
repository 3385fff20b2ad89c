# Installs typenet into a scratch prefix, then configures, builds and runs an
# outside project that only knows find_package(typenet): it uses the dsl and
# generates, links and runs networks of its own with typenet_add_network, and
# checks one with residual units, a concat and grouped convs against its
# PyTorch twin in float64.
set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGV}\n${out}")
  endif()
endfunction()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/typenet -G ${GENERATOR}
    -DTYPENET_BUILD_TESTS=OFF -DTYPENET_BUILD_SAMPLES=OFF -DCMAKE_INSTALL_PREFIX=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/typenet)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/typenet)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/consumer -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run(${WORK_DIR}/consumer/consumer)
run(${WORK_DIR}/consumer/run_edge_net)
run(${WORK_DIR}/consumer/graph_net_check ${WORK_DIR}/graph_net_step.safetensors)
run(${PYTHON} ${SOURCE_DIR}/tests/package/consumer/check_against_torch.py ${WORK_DIR}/graph_net_step.safetensors
    ${SOURCE_DIR})
