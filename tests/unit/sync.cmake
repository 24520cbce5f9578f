# Sync protocol, byte level (sync/proto.c): HTTP heads, bundles, signatures, answers.
yordam_unit_test(test_sync_proto SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sync_proto.c LIBS yordam_sync_proto)
