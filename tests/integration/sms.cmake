# yordamd with libgammu's dummy phone: SMS in, replies out, kill -9 recovery.
add_test(NAME integration_sms_dummy COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_sms_dummy.py)
set_tests_properties(integration_sms_dummy PROPERTIES LABELS integration TIMEOUT 300
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
# yordamd with a modem on libgammu's AT driver against atmodem.py: PDUs checked on the wire,
# +CMS ERROR, a hung modem, an unplugged one; every message answered exactly once.
add_test(NAME integration_sms_at COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_sms_at.py)
set_tests_properties(integration_sms_at PROPERTIES LABELS integration TIMEOUT 300
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
# Issue 4 by SMS: complaint, staff notification, OK / R / DONE, status with PIN, escalation, canary.
add_test(NAME integration_cases_sms COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_cases_sms.py)
set_tests_properties(integration_cases_sms PROPERTIES LABELS integration TIMEOUT 300
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
# Issue 4, staff phones on the AT modem emulator: notification content decoded from the PDUs, claim and answer
# from the staff phone, escalation on a refused notification and on the (test) clock, nobody on duty, alerts.
add_test(NAME integration_cases_staff COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_cases_staff.py)
set_tests_properties(integration_cases_staff PROPERTIES LABELS integration TIMEOUT 300
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
