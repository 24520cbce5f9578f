# The HTTP port's input path: form body -> http_req_parse -> text steps; headers -> timestamp and
# signature checks.
yordam_fuzz_target(fuzz_http_req SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_http_req.c LIBS yordam_http_req)
