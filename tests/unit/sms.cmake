# SMS layer: reply cost, keywords, reassembly, outbox, with a fake modem (fake_modem.c).
yordam_unit_test(test_sms SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sms.c ${CMAKE_CURRENT_LIST_DIR}/fake_modem.c
	LIBS yordam_sms yordam_menus yordam_secret yordam_store yordam_text yordam_common)
