# bench-ingest-smoke: runs bench-ingest --quick (500k events) and fails unless
# it exits 0 and ends with its four figures as "bench: NAME=NUMBER".  The
# figures are not judged here (see BENCHMARKS.md, "bench-ingest").
#   cmake -DBENCH=path/to/bench-ingest -P bench-ingest-smoke.cmake
execute_process(COMMAND ${BENCH} --quick RESULT_VARIABLE rc
  OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 280)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench-ingest --quick failed: exit=${rc}")
endif()
set(num "[0-9]+(\\.[0-9]+)?")
if(NOT out MATCHES "bench: import_vs_dummy=${num}\nbench: import_vs_text=${num}\nbench: bytes_per_event=${num}\nbench: peak_rss_mb=${num}\n$")
  message(FATAL_ERROR "bench-ingest --quick did not end with its four bench: lines")
endif()
foreach(fig events dummy_events_per_s text_events_per_s sqlite_rows_per_s
    import_events_per_s)
  if(NOT out MATCHES "(^|\n)bench: ${fig}=${num}\n")
    message(FATAL_ERROR "bench-ingest --quick did not print a figure: name=${fig}")
  endif()
endforeach()
