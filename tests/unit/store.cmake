yordam_unit_test(test_store SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_store.c LIBS yordam_store yordam_common)
