# configure-deps: a missing dependency fails the configure step, naming the
# package, unless WEFT_ALLOW_MISSING_DEPS=ON.  Each package is made missing
# for real: pkg-config gets a directory holding every .pc file of this
# machine except that package's (PKG_CONFIG_LIBDIR), and clang is searched
# under a name that does not exist (WEFT_CLANG_NAMES).  So that the test
# cannot pass vacuously, the same configure with nothing removed must
# succeed, and each failing one must succeed with WEFT_ALLOW_MISSING_DEPS=ON.
#   cmake -DSRC=<source tree> -DWORK=<scratch dir> -DCC=<C compiler> -P configure-deps.cmake
foreach(v SRC WORK CC)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "configure-deps: -D${v}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND pkg-config --variable pc_path pkg-config
  OUTPUT_VARIABLE pc_path OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR pc_path STREQUAL "")
  message(FATAL_ERROR "configure-deps: cannot ask pkg-config for its search path")
endif()
string(REPLACE ":" ";" pc_dirs "${pc_path}")
if(DEFINED ENV{PKG_CONFIG_PATH} AND NOT "$ENV{PKG_CONFIG_PATH}" STREQUAL "")
  string(REPLACE ":" ";" extra "$ENV{PKG_CONFIG_PATH}")
  list(PREPEND pc_dirs ${extra})
endif()

# A pkg-config directory with every .pc file but `without`'s.
function(pc_dir name without out)
  set(dir ${WORK}/pc-${name})
  file(MAKE_DIRECTORY ${dir})
  foreach(d ${pc_dirs})
    file(GLOB pcs ${d}/*.pc)
    foreach(pc ${pcs})
      get_filename_component(f ${pc} NAME)
      if(NOT f STREQUAL "${without}.pc" AND NOT EXISTS ${dir}/${f})
        file(CREATE_LINK ${pc} ${dir}/${f} SYMBOLIC)
      endif()
    endforeach()
  endforeach()
  set(${out} ${dir} PARENT_SCOPE)
endfunction()

# Configures the tree in a fresh directory; sets rc and log in the caller.
function(configure name pcdir)
  file(REMOVE_RECURSE ${WORK}/b-${name})
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_LIBDIR=${pcdir} PKG_CONFIG_PATH=
            ${CMAKE_COMMAND} -S ${SRC} -B ${WORK}/b-${name} -DCMAKE_C_COMPILER=${CC} ${ARGN}
    RESULT_VARIABLE r OUTPUT_VARIABLE o ERROR_VARIABLE e)
  set(rc ${r} PARENT_SCOPE)
  set(log "${o}${e}" PARENT_SCOPE)
endfunction()

pc_dir(all "" all_dir)
configure(baseline ${all_dir})
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure-deps: the tree does not configure with every package present "
    "(so nothing below would mean anything): exit=${rc}\n${log}")
endif()
if(log MATCHES "not found")
  message(FATAL_ERROR "configure-deps: a dependency is reported missing with every package "
    "present:\n${log}")
endif()
message(STATUS "baseline: configures with every package present")

foreach(pkg lttng-ctl babeltrace2 sqlite3 libuv clang)
  if(pkg STREQUAL "clang")
    set(dir ${all_dir})
    set(args -DWEFT_CLANG_NAMES=weft-no-such-clang)
  else()
    pc_dir(no-${pkg} ${pkg} dir)
    if(EXISTS ${dir}/${pkg}.pc)
      message(FATAL_ERROR "configure-deps: ${pkg}.pc was not removed")
    endif()
    set(args)
  endif()
  configure(no-${pkg} ${dir} ${args})
  if(rc EQUAL 0)
    message(FATAL_ERROR "configure-deps: configure succeeded without ${pkg}:\n${log}")
  endif()
  if(NOT log MATCHES "Cannot configure weft: ${pkg} not found" OR
     NOT log MATCHES "WEFT_ALLOW_MISSING_DEPS")
    message(FATAL_ERROR "configure-deps: without ${pkg}, configure failed without naming it "
      "and the opt-out:\n${log}")
  endif()
  configure(no-${pkg}-allowed ${dir} ${args} -DWEFT_ALLOW_MISSING_DEPS=ON)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "configure-deps: without ${pkg}, -DWEFT_ALLOW_MISSING_DEPS=ON did not "
      "configure: exit=${rc}\n${log}")
  endif()
  if(NOT log MATCHES "${pkg} not found")
    message(FATAL_ERROR "configure-deps: without ${pkg}, the opt-out configured without saying "
      "what is left out:\n${log}")
  endif()
  message(STATUS "without ${pkg}: configure fails naming it; the opt-out configures")
endforeach()
file(REMOVE_RECURSE ${WORK})
