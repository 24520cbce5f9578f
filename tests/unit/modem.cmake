# Pure parts of the modem layer (modem/modem_util.c: backoff, UDH, prefixes, seen-set).
yordam_unit_test(test_modem SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_modem.c LIBS yordam_modem)
target_include_directories(test_modem PRIVATE ${PROJECT_SOURCE_DIR}/modem)
