# typenet_add_network(<name> HEADER <file> VALUE <expression>
#                     [TARGETS <halide target>...] [INCLUDE_DIRECTORIES <dir>...]
#                     [TUNING_DIR <dir>])
#
# Turns a network written in the dsl into a linked library. At build time it
# compiles a Halide generator with <file> included, runs it for every CPU
# target, and produces:
#   <name>          a library to link (static pipelines + runtime glue)
#   <name>_kernels.hpp  a header declaring `<name>_kernels`, a typenet::network_kernels
#                   for <expression> (the network value, e.g. my::fashion_net)
# Nothing is regenerated when neither the header nor typenet changed.
#
# Tuned variants: every tuning database in TUNING_DIR (default
# TYPENET_TUNING_DIR; files <cpu model>.tuning, written by the tuner) that
# holds a choice other than the default for one of the network's conv
# shapes adds, for each target
# it was measured with, a variant generated with its choices. The runtime
# runs it on that CPU model (typenet::cpu_variant). `tune_<name>` (a target
# outside `all`) runs the tuner for the network on this machine and merges
# its results into TYPENET_TUNING_DIR.
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

# The tuning databases: in the source tree, or installed beside this file.
if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/../generators/tuning")
  get_filename_component(_typenet_tuning_default "${CMAKE_CURRENT_LIST_DIR}/../generators/tuning" ABSOLUTE)
else()
  set(_typenet_tuning_default "${CMAKE_CURRENT_LIST_DIR}/tuning")
endif()
set(TYPENET_TUNING_DIR "${_typenet_tuning_default}" CACHE PATH
    "Tuning databases (<cpu model>.tuning) that networks generate tuned variants from")
set(TYPENET_TUNE_BUDGET 600 CACHE STRING "Seconds tune_<network> may measure for")
set(_typenet_runtime_include "${CMAKE_CURRENT_LIST_DIR}/../runtime/include")

# The dsl's headers, in the source tree or installed beside this file.
if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/../dsl/include/typenet/dsl.hpp")
  get_filename_component(TYPENET_DSL_INCLUDE_DIR "${CMAKE_CURRENT_LIST_DIR}/../dsl/include" ABSOLUTE)
else()
  get_filename_component(TYPENET_DSL_INCLUDE_DIR "${CMAKE_CURRENT_LIST_DIR}/../../../include" ABSOLUTE)
endif()

# How many training segments the network <value> in <header> has, and its
# convs' shapes as the tuning databases write them ("in=1x28x28 out=32x28x28
# kernel=3 stride=1 dilation=1 groups=1"): the dsl computes them at compile
# time, into strings of a probe object that CMake reads back. Cached per
# header content, network and dsl version.
function(_typenet_probe name header value include_dirs out shapes_out)
  file(GLOB_RECURSE dsl_headers "${TYPENET_DSL_INCLUDE_DIR}/typenet/dsl/*.hpp")
  set(key "${value};segments and conv shapes")  # what the probe computes: a new probe, a new key
  foreach(file IN LISTS header dsl_headers)
    file(MD5 "${file}" hash)
    string(APPEND key ";${hash}")
  endforeach()
  string(MD5 key "${key}")
  if(DEFINED TYPENET_SEGMENTS_${name} AND "${TYPENET_SEGMENTS_KEY_${name}}" STREQUAL "${key}")
    set(${out} ${TYPENET_SEGMENTS_${name}} PARENT_SCOPE)
    set(${shapes_out} "${TYPENET_CONV_SHAPES_${name}}" PARENT_SCOPE)
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

using probed_network = std::remove_cvref_t<decltype(@value@)>;
constexpr probed_network probed{};
struct shapes_text {
    char chars[32 + 96 * typenet::dsl::nodes(probed).size()] = {};
    std::size_t size = 0;
    constexpr void put(std::string_view s) {
        for (char c : s) chars[size++] = c;
    }
    constexpr void put(int v) {
        char digits[12] = {};
        int k = 0;
        do digits[k++] = char('0' + v % 10), v /= 10;
        while (v > 0);
        while (k > 0) chars[size++] = digits[--k];
    }
};
constexpr shapes_text conv_shapes() {
    shapes_text t;
    t.put("TYPENET_CONV_SHAPES=");
    for (const auto& n : typenet::dsl::nodes(probed)) {
        if (n.kind != typenet::dsl::layer_kind::conv) continue;
        int groups = 1;  // from the weight's dims [out, in / groups, k, k]
        for (const auto& e : typenet::dsl::parameter_layout(probed))
            if (e.name.view().size() > n.path.view().size() && e.name.view().substr(0, n.path.view().size()) == n.path.view() &&
                e.name.view().substr(n.path.view().size()) == ".weight")
                groups = n.in.c / e.dims[1];
        t.put("in="), t.put(n.in.c), t.put("x"), t.put(n.in.h), t.put("x"), t.put(n.in.w);
        t.put(" out="), t.put(n.out.c), t.put("x"), t.put(n.out.h), t.put("x"), t.put(n.out.w);
        t.put(" kernel="), t.put(n.slides->kh), t.put(" stride="), t.put(n.slides->stride);
        t.put(" dilation="), t.put(n.slides->dilation), t.put(" groups="), t.put(groups), t.put("|");
    }
    return t;
}
extern "C" constinit const shapes_text typenet_conv_shapes = conv_shapes();
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
  file(STRINGS "${probe}/probe.a" line REGEX "TYPENET_CONV_SHAPES=")
  # "|" between shapes: file(STRINGS) would escape semicolons.
  string(REGEX REPLACE ".*TYPENET_CONV_SHAPES=([^\n]*)" "\\1" shapes "${line}")
  string(REGEX REPLACE "\\|$" "" shapes "${shapes}")
  string(REPLACE "|" ";" shapes "${shapes}")
  set(TYPENET_SEGMENTS_${name} ${count} CACHE INTERNAL "training segments of ${name}")
  set(TYPENET_CONV_SHAPES_${name} "${shapes}" CACHE INTERNAL "conv shapes of ${name}")
  set(TYPENET_SEGMENTS_KEY_${name} ${key} CACHE INTERNAL "what TYPENET_SEGMENTS_${name} was computed from")
  set(${out} ${count} PARENT_SCOPE)
  set(${shapes_out} "${shapes}" PARENT_SCOPE)
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

# The builds of a network: one per target, then, for every database in
# <dir> with a record for one of the network's conv shapes that is not the
# default, one per target of those it names that is built. Each "target|cpu model|database"; the
# plain builds' cpu model and database are "-".
function(_typenet_tuned_variants dir conv_shapes targets out databases_out)
  set(variants "")
  foreach(target IN LISTS targets)
    list(APPEND variants "${target}|-|-")
  endforeach()
  set(used "")
  file(GLOB databases "${dir}/*.tuning")
  foreach(database IN LISTS databases)
    # Records whose choice is the default would generate the default again.
    file(STRINGS "${database}" records REGEX " choice=")
    list(FILTER records EXCLUDE REGEX " choice=default ")
    set(matches FALSE)
    foreach(record IN LISTS records)
      foreach(shape IN LISTS conv_shapes)
        string(FIND "${record}" " ${shape} choice=" at)
        if(at GREATER -1)
          set(matches TRUE)
        endif()
      endforeach()
    endforeach()
    if(NOT matches)
      continue()
    endif()
    file(STRINGS "${database}" cpu_line REGEX "^cpu ")
    file(STRINGS "${database}" targets_line REGEX "^targets ")
    string(REGEX REPLACE "^cpu +" "" cpu "${cpu_line}")
    string(REGEX REPLACE "^targets +" "" tuned_tags "${targets_line}")
    string(REPLACE " " ";" tuned_tags "${tuned_tags}")
    if(NOT cpu MATCHES "^[a-z0-9]+-[0-9]+-[0-9]+$")
      message(FATAL_ERROR "${database}: its cpu line names \"${cpu}\", not vendor-family-model (amd-25-1)")
    endif()
    foreach(target IN LISTS targets)
      _typenet_target_tag("${target}" tag)
      if(tag IN_LIST tuned_tags)
        list(APPEND variants "${target}|${cpu}|${database}")
        list(APPEND used "${database}")
      endif()
    endforeach()
  endforeach()
  set(${out} "${variants}" PARENT_SCOPE)
  set(${databases_out} "${used}" PARENT_SCOPE)
endfunction()

function(typenet_add_network NAME)
  cmake_parse_arguments(ARG "" "HEADER;VALUE;TUNING_DIR" "TARGETS;INCLUDE_DIRECTORIES" ${ARGN})
  if(NOT ARG_HEADER OR NOT ARG_VALUE)
    message(FATAL_ERROR "typenet_add_network(${NAME}) needs HEADER <file> and VALUE <network expression>")
  endif()
  if(NOT ARG_TARGETS)
    set(ARG_TARGETS ${TYPENET_CPU_TARGETS})
  endif()
  if(NOT ARG_TUNING_DIR)
    set(ARG_TUNING_DIR "${TYPENET_TUNING_DIR}")
  endif()
  get_filename_component(header "${ARG_HEADER}" ABSOLUTE)
  get_filename_component(header_dir "${header}" DIRECTORY)
  set(out "${CMAKE_CURRENT_BINARY_DIR}")
  _typenet_probe(${NAME} "${header}" "${ARG_VALUE}" "${header_dir};${ARG_INCLUDE_DIRECTORIES}" segments conv_shapes)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${header}")
  math(EXPR last_segment "${segments} - 1")
  _typenet_tuned_variants("${ARG_TUNING_DIR}" "${conv_shapes}" "${ARG_TARGETS}" variants databases)

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
  # A database that changes rebuilds the generator, and so every pipeline it makes.
  if(databases)
    set_property(SOURCE "${out}/${NAME}.generator.cpp" APPEND PROPERTY OBJECT_DEPENDS ${databases})
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${databases})

  # The tuner of this network (tune_${NAME}, outside `all`).
  file(CONFIGURE OUTPUT "${out}/${NAME}.tune.cpp" CONTENT [[
// Generated by typenet_add_network(@NAME@): the tuner of one network.
#include "@header@"
#include <typenet/generators/tuner.hpp>

int main(int argc, char** argv) {
    return typenet::gen::tune_main<std::remove_cvref_t<decltype(@ARG_VALUE@)>>(argc, argv);
}
]] @ONLY)
  string(JOIN "," target_list ${ARG_TARGETS})
  add_executable(${NAME}.tune EXCLUDE_FROM_ALL "${out}/${NAME}.tune.cpp")
  target_link_libraries(${NAME}.tune PRIVATE typenet::generators)
  target_include_directories(${NAME}.tune PRIVATE "${header_dir}" ${ARG_INCLUDE_DIRECTORIES})
  if(EXISTS "${_typenet_runtime_include}")  # the source tree's; installed, it shares the generators' include directory
    target_include_directories(${NAME}.tune PRIVATE "${_typenet_runtime_include}")
  endif()
  add_custom_target(tune_${NAME}
                    COMMAND ${NAME}.tune --targets "${target_list}" --dir "${TYPENET_TUNING_DIR}"
                            --budget ${TYPENET_TUNE_BUDGET}
                    USES_TERMINAL VERBATIM)

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
  foreach(variant IN LISTS variants)
    string(REPLACE "|" ";" variant "${variant}")
    list(GET variant 0 target)
    list(GET variant 1 cpu)
    list(GET variant 2 database)
    _typenet_target_tag("${target}" tag)
    if(NOT cpu STREQUAL "-")
      string(MAKE_C_IDENTIFIER "${tag}_${cpu}" suffix)
      set(tuned_for "\"${cpu}\"")
      set(tuning tuning=${database})
    else()
      set(suffix ${tag})
      set(tuned_for nullptr)
      set(tuning "")
    endif()
    set(builds infer)
    foreach(segment RANGE ${last_segment})
      list(APPEND builds train_forward:${segment} train_backward:${segment})
    endforeach()
    foreach(build IN LISTS builds)
      string(REPLACE ":" ";" build "${build}")
      list(GET build 0 pipeline)
      if(pipeline STREQUAL "infer")
        set(lib ${NAME}_infer_${suffix})
        set(params PARAMS ${tuning})
        string(APPEND infer_variants "        {typenet::cpu_target::${tag}, &${lib}_argv, ${tuned_for}},\n")
      else()
        list(GET build 1 segment)
        set(lib ${NAME}_${pipeline}_${segment}_${suffix})
        set(params PARAMS segment=${segment} ${tuning})
        string(APPEND ${pipeline}_${segment}_variants "        {typenet::cpu_target::${tag}, &${lib}_argv, ${tuned_for}},\n")
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

  list(LENGTH variants target_count)
  file(CONFIGURE OUTPUT "${out}/${NAME}_kernels.hpp" CONTENT [[
// Generated by typenet_add_network(@NAME@).
#pragma once

#include <typenet/kernels.hpp>

#include "@header@"
@includes@
struct @NAME@_pipelines {
    static constexpr typenet::pipeline_variant infer[] = {
@infer_variants@    };
    // [segment][variant]
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
