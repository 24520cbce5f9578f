yordam_unit_test(test_cases_svc SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cases_svc.c LIBS yordam_firmware)
