yordam_unit_test(test_content SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_content.c LIBS yordam_firmware)
