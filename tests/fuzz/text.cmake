# Text library: arbitrary bytes as UTF-8 text and as GSM-7 / packed / UTF-16BE data.
yordam_fuzz_target(fuzz_text SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_text.c LIBS yordam_text)
