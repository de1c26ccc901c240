# bench-analysis-smoke: runs bench-analysis --quick (500k events) and fails
# unless it exits 0 and ends with its four figures as "bench: NAME=NUMBER".
# The figures are not judged here (see BENCHMARKS.md, "bench-analysis").
#   cmake -DBENCH=path/to/bench-analysis -P bench-analysis-smoke.cmake
execute_process(COMMAND ${BENCH} --quick RESULT_VARIABLE rc
  OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 280)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench-analysis --quick failed: exit=${rc}")
endif()
set(num "[0-9]+(\\.[0-9]+)?")
if(NOT out MATCHES "bench: analysis_vs_ingest=${num}\nbench: chain_p99_ms=${num}\nbench: blame_p99_ms=${num}\nbench: detect_latency_ms=${num}\n$")
  message(FATAL_ERROR "bench-analysis --quick did not end with its four bench: lines")
endif()
foreach(fig events ingest_s detect_s)
  if(NOT out MATCHES "(^|\n)bench: ${fig}=${num}\n")
    message(FATAL_ERROR "bench-analysis --quick did not print a figure: name=${fig}")
  endif()
endforeach()
