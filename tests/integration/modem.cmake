# The modem layer through libgammu: the dummy phone, and the AT driver against atmodem.py (a
# modem emulator on a pseudo-terminal). modem_driver prints every callback as one line.
add_executable(modem_driver ${CMAKE_CURRENT_LIST_DIR}/modem_driver.c)
target_link_libraries(modem_driver PRIVATE yordam_modem yordam_common PkgConfig::OSMOCORE)
add_test(NAME integration_modem COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_modem.py)
set_tests_properties(integration_modem PROPERTIES LABELS integration TIMEOUT 240
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
