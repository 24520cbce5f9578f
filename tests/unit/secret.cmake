# Device key, keyed hashing and AES-256-GCM sealing of personal data.
yordam_unit_test(test_secret SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_secret.c LIBS yordam_secret yordam_common)
