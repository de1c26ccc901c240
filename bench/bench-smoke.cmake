# bench-smoke: runs each benchmark with --quick and fails unless it exits 0
# and prints every one of its figures as "bench: NAME=NUMBER".  Thresholds are
# deliberately not checked here (see BENCHMARKS.md).
#   cmake -DTRACEPOINT=path -DRUNTIME=path -P bench-smoke.cmake
set(TRACEPOINT_FIGURES discarded_events weft_disabled_ns bare_disabled_ns
    weft_enabled_ns bare_enabled_ns enabled_ratio)
set(RUNTIME_FIGURES discarded_events tasks_per_s_off tasks_per_s_on ratio_1us
    ratio_50us bare_event_ns events_per_task_1us cost_per_task_ns_1us
    cost_in_bare_events_1us bare_event_in_task_ns cost_in_in_task_bare_events_1us)

function(check_bench exe)
  execute_process(COMMAND ${exe} --quick RESULT_VARIABLE rc
    OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 100)
  message("${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${exe} --quick failed: exit=${rc}")
  endif()
  foreach(fig ${ARGN})
    if(NOT out MATCHES "(^|\n)bench: ${fig}=-?[0-9]+(\\.[0-9]+)?\n")
      message(FATAL_ERROR "${exe} --quick did not print a figure: name=${fig}")
    endif()
  endforeach()
endfunction()

check_bench(${TRACEPOINT} ${TRACEPOINT_FIGURES})
check_bench(${RUNTIME} ${RUNTIME_FIGURES})
