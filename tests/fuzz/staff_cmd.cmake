# Staff SMS commands (OK, R, DONE, INFO, ON, OFF) and case numbers, as arbitrary bytes from a phone.
yordam_fuzz_target(fuzz_staff_cmd SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_staff_cmd.c LIBS yordam_cases yordam_text)
