# typenet_add_network(<name> HEADER <file> VALUE <expression>
#                     [TARGETS <halide target>...] [INCLUDE_DIRECTORIES <dir>...])
#
# Turns a network written in the dsl into a linked library. At build time it
# compiles a Halide generator with <file> included, runs it for every CPU
# target, and produces:
#   <name>          a library to link (static pipelines + runtime glue)
#   <name>_kernels.hpp  a header declaring `<name>_kernels`, a typenet::network_kernels
#                   for <expression> (the network value, e.g. my::fashion_net)
# Nothing is regenerated when neither the header nor typenet changed.
#
# The training pipelines are built per segment of the network
# (typenet/dsl/training_segments.hpp). How many segments a network has is a
# constexpr fact of the dsl; CMake learns it when it configures, by
# compiling a small probe with the header, and re-runs itself when the
# header changes.

# Best first; the last is the unconditional fallback. Named explicitly: Halide 14
# takes Zen 4 for Sapphire Rapids under `host`.
set(TYPENET_CPU_TARGETS
    x86-64-linux-avx-avx2-avx512-avx512_cannonlake-avx512_skylake-f16c-fma-sse41
    x86-64-linux-avx-avx2-f16c-fma-sse41
    x86-64-linux-sse41
    x86-64-linux
    CACHE STRING "Halide targets every typenet network is built for, best first")

# The dsl's headers, in the source tree or installed beside this file.
if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/../dsl/include/typenet/dsl.hpp")
  get_filename_component(TYPENET_DSL_INCLUDE_DIR "${CMAKE_CURRENT_LIST_DIR}/../dsl/include" ABSOLUTE)
else()
  get_filename_component(TYPENET_DSL_INCLUDE_DIR "${CMAKE_CURRENT_LIST_DIR}/../../../include" ABSOLUTE)
endif()

# How many training segments the network <value> in <header> has: the dsl
# computes it at compile time, into a string of a probe object that CMake
# reads back. Cached per header content, network and dsl version.
function(_typenet_training_segments name header value include_dirs out)
  file(GLOB_RECURSE dsl_headers "${TYPENET_DSL_INCLUDE_DIR}/typenet/dsl/*.hpp")
  set(key "${value}")
  foreach(file IN LISTS header dsl_headers)
    file(MD5 "${file}" hash)
    string(APPEND key ";${hash}")
  endforeach()
  string(MD5 key "${key}")
  if(DEFINED TYPENET_SEGMENTS_${name} AND "${TYPENET_SEGMENTS_KEY_${name}}" STREQUAL "${key}")
    set(${out} ${TYPENET_SEGMENTS_${name}} PARENT_SCOPE)
    return()
  endif()
  set(probe "${CMAKE_CURRENT_BINARY_DIR}/${name}.segments")
  file(CONFIGURE OUTPUT "${probe}/probe.cpp" CONTENT [[
#include "@header@"
#include <typenet/dsl.hpp>

namespace {
constexpr std::size_t count = typenet::dsl::training_segments(@value@).size();
static_assert(count < 1000);
}  // namespace
extern "C" const char typenet_training_segments[] = {'T', 'Y', 'P', 'E', 'N', 'E', 'T', '_', 'S', 'E', 'G', 'M',
    'E', 'N', 'T', 'S', '=', char('0' + count / 100), char('0' + count / 10 % 10), char('0' + count % 10), 0};
]] @ONLY)
  set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
  try_compile(compiled "${probe}/build" SOURCES "${probe}/probe.cpp"
              CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${TYPENET_DSL_INCLUDE_DIR};${Boost_INCLUDE_DIRS};${include_dirs}"
              CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON
              OUTPUT_VARIABLE log COPY_FILE "${probe}/probe.a")
  if(NOT compiled)
    message(FATAL_ERROR "typenet_add_network(${name}): the network ${value} in ${header} does not compile:\n${log}")
  endif()
  file(STRINGS "${probe}/probe.a" line REGEX "TYPENET_SEGMENTS=[0-9]+")
  string(REGEX REPLACE ".*TYPENET_SEGMENTS=0*([0-9]+).*" "\\1" count "${line}")
  set(TYPENET_SEGMENTS_${name} ${count} CACHE INTERNAL "training segments of ${name}")
  set(TYPENET_SEGMENTS_KEY_${name} ${key} CACHE INTERNAL "what TYPENET_SEGMENTS_${name} was computed from")
  set(${out} ${count} PARENT_SCOPE)
endfunction()

# The cpu_target a Halide target string is built for.
function(_typenet_target_tag target out)
  if(target MATCHES "avx512")
    set(${out} avx512 PARENT_SCOPE)
  elseif(target MATCHES "avx2")
    set(${out} avx2 PARENT_SCOPE)
  elseif(target MATCHES "sse41")
    set(${out} sse41 PARENT_SCOPE)
  else()
    set(${out} baseline PARENT_SCOPE)
  endif()
endfunction()

function(typenet_add_network NAME)
  cmake_parse_arguments(ARG "" "HEADER;VALUE" "TARGETS;INCLUDE_DIRECTORIES" ${ARGN})
  if(NOT ARG_HEADER OR NOT ARG_VALUE)
    message(FATAL_ERROR "typenet_add_network(${NAME}) needs HEADER <file> and VALUE <network expression>")
  endif()
  if(NOT ARG_TARGETS)
    set(ARG_TARGETS ${TYPENET_CPU_TARGETS})
  endif()
  get_filename_component(header "${ARG_HEADER}" ABSOLUTE)
  get_filename_component(header_dir "${header}" DIRECTORY)
  set(out "${CMAKE_CURRENT_BINARY_DIR}")
  _typenet_training_segments(${NAME} "${header}" "${ARG_VALUE}" "${header_dir};${ARG_INCLUDE_DIRECTORIES}" segments)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${header}")
  math(EXPR last_segment "${segments} - 1")

  # file(CONFIGURE) rewrites only on change, so an unchanged network stays built.
  file(CONFIGURE OUTPUT "${out}/${NAME}.generator.cpp" CONTENT [[
// Generated by typenet_add_network(@NAME@): the Halide generators of one network.
#include "@header@"
#include <typenet/generators/pipelines.hpp>

using typenet_network = std::remove_cvref_t<decltype(@ARG_VALUE@)>;
TYPENET_REGISTER_PIPELINES(typenet_network)
]] @ONLY)
  add_halide_generator(${NAME}.generator SOURCES "${out}/${NAME}.generator.cpp"
                       LINK_LIBRARIES typenet::generators)
  target_include_directories(${NAME}.generator PRIVATE "${header_dir}" ${ARG_INCLUDE_DIRECTORIES})
  # The generator runs once at build time; optimizing it costs more than it saves.
  target_compile_options(${NAME}.generator PRIVATE -O1)

  # One library per pipeline, segment and target, each with its own
  # function name: network_kernels picks among them at every call (Halide's
  # multi-target wrapper fixes its choice at the first call, so a process
  # could never switch). All share one Halide runtime, created by the first
  # network.
  get_property(runtime GLOBAL PROPERTY TYPENET_HALIDE_RUNTIME)
  set(libraries "")
  set(includes "")
  set(infer_variants "")
  set(train_forward_variants "")
  set(train_backward_variants "")
  foreach(target IN LISTS ARG_TARGETS)
    _typenet_target_tag("${target}" tag)
    set(builds infer)
    foreach(segment RANGE ${last_segment})
      list(APPEND builds train_forward:${segment} train_backward:${segment})
    endforeach()
    foreach(build IN LISTS builds)
      string(REPLACE ":" ";" build "${build}")
      list(GET build 0 pipeline)
      if(pipeline STREQUAL "infer")
        set(lib ${NAME}_infer_${tag})
        set(params "")
        string(APPEND infer_variants "        {typenet::cpu_target::${tag}, &${lib}_argv},\n")
      else()
        list(GET build 1 segment)
        set(lib ${NAME}_${pipeline}_${segment}_${tag})
        set(params PARAMS segment=${segment})
        string(APPEND ${pipeline}_${segment}_variants "        {typenet::cpu_target::${tag}, &${lib}_argv},\n")
      endif()
      if(runtime)
        add_halide_library(${lib} FROM ${NAME}.generator GENERATOR ${pipeline} TARGETS ${target}
                           USE_RUNTIME ${runtime} ${params})
      else()
        add_halide_library(${lib} FROM ${NAME}.generator GENERATOR ${pipeline} TARGETS ${target} ${params})
        set(runtime ${lib}.runtime)
        set_property(GLOBAL PROPERTY TYPENET_HALIDE_RUNTIME ${runtime})
      endif()
      list(APPEND libraries ${lib})
      string(APPEND includes "#include \"${lib}.h\"\n")
    endforeach()
  endforeach()
  foreach(pipeline train_forward train_backward)
    foreach(segment RANGE ${last_segment})
      string(APPEND ${pipeline}_variants "    {\n${${pipeline}_${segment}_variants}    },\n")
    endforeach()
  endforeach()

  list(LENGTH ARG_TARGETS target_count)
  file(CONFIGURE OUTPUT "${out}/${NAME}_kernels.hpp" CONTENT [[
// Generated by typenet_add_network(@NAME@).
#pragma once

#include <typenet/kernels.hpp>

#include "@header@"
@includes@
struct @NAME@_pipelines {
    static constexpr typenet::pipeline_variant infer[] = {
@infer_variants@    };
    // [segment][target]
    static constexpr typenet::pipeline_variant train_forward[][@target_count@] = {
@train_forward_variants@    };
    static constexpr typenet::pipeline_variant train_backward[][@target_count@] = {
@train_backward_variants@    };
};

using @NAME@_kernels = typenet::network_kernels<std::remove_cvref_t<decltype(@ARG_VALUE@)>, @NAME@_pipelines>;
]] @ONLY)

  add_library(${NAME} INTERFACE)
  target_link_libraries(${NAME} INTERFACE ${libraries} typenet::runtime typenet::dsl)
  target_include_directories(${NAME} INTERFACE "${out}" "${header_dir}" ${ARG_INCLUDE_DIRECTORIES})
endfunction()
