# Text library: UTF-8, folding, coding choice, fit, GSM-7 and UCS-2. libosmogsm is linked only
# here, as an independent implementation of septet packing to compare against.
yordam_unit_test(test_text SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_text.c LIBS yordam_text PkgConfig::OSMOGSM)
