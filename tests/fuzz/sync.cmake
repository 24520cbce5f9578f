# Sync protocol parsers (issue 5): HTTP heads, signed bundles, JSON bodies of both ends.
yordam_fuzz_target(fuzz_sync_http SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_sync_http.c LIBS yordam_sync_proto)
yordam_fuzz_target(fuzz_sync_bundle SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_sync_bundle.c LIBS yordam_sync_proto)
yordam_fuzz_target(fuzz_sync_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_sync_json.c LIBS yordam_central)
