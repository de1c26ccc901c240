# no-skip-in-ci: a suite that cannot run fails in CI instead of skipping.
# Runs the integration suite SUITE (test-weftd: it needs root) as an
# unprivileged user (uid 65534 via setpriv when this runs as root; as the
# current user otherwise), from a world-readable copy:
#  - without CI in the environment it must report every test skipped and
#    exit 77 (so the suite really reached "cannot run here": the check below
#    is not passing because the program could not start at all);
#  - with CI=true it must exit 1, report the tests "not ok" with the reason,
#    and skip none.
#   cmake -DSUITE=<test binary> -DWORK=<scratch dir> -P no-skip-in-ci.cmake
foreach(v SUITE WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "no-skip-in-ci: -D${v}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
get_filename_component(name ${SUITE} NAME)
file(COPY ${SUITE} DESTINATION ${WORK}
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                   WORLD_READ WORLD_EXECUTE)
file(CHMOD ${WORK} PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
  GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
set(as_user)
if(uid STREQUAL "0")
  find_program(SETPRIV setpriv REQUIRED)
  set(as_user ${SETPRIV} --reuid=65534 --regid=65534 --clear-groups --)
endif()

function(run ci out_rc out_log)
  if(ci)
    set(env CI=true)
  else()
    set(env --unset=CI)
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E env ${env} TMPDIR=${WORK}
      ${as_user} ${WORK}/${name}
    WORKING_DIRECTORY ${WORK} RESULT_VARIABLE r OUTPUT_VARIABLE o ERROR_VARIABLE e TIMEOUT 120)
  set(${out_rc} ${r} PARENT_SCOPE)
  set(${out_log} "${o}${e}" PARENT_SCOPE)
endfunction()

run(FALSE rc log)
message("--- without CI (exit ${rc}):\n${log}")
if(NOT rc EQUAL 77 OR NOT log MATCHES "ok 1 [^\n]* # SKIP [^\n]*not root")
  message(FATAL_ERROR "no-skip-in-ci: outside CI, ${name} as a non-root user did not skip "
    "(exit 77, '# SKIP ... not root'): the CI check below would prove nothing")
endif()
run(TRUE rc log)
message("--- with CI=true (exit ${rc}):\n${log}")
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "no-skip-in-ci: with CI=true, ${name} as a non-root user exited ${rc}, "
    "not 1")
endif()
if(log MATCHES "# SKIP" OR NOT log MATCHES "not ok 1 [^\n]*cannot run in CI: [^\n]*not root")
  message(FATAL_ERROR "no-skip-in-ci: with CI=true, ${name} did not fail every test with the "
    "reason")
endif()
file(REMOVE_RECURSE ${WORK})
