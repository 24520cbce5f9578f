# Self-test of the integration harness (gsupmsc.py, hlr.py) against osmo-hlr and osmo-euse-demo.
add_test(NAME integration_harness COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_harness_euse_demo.py)
set_tests_properties(integration_harness PROPERTIES LABELS integration TIMEOUT 120)
