# The HTTP USSD port's request parser, cumulative-text logic and signature check (pure).
yordam_unit_test(test_http_req SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_http_req.c LIBS yordam_http_req)
