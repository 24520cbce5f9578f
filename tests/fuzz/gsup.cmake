# The GSUP port's input path: osmo_gsup_decode() -> fac_decode() -> fac_ussd_text().
yordam_fuzz_target(fuzz_gsup SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_gsup.c
	LIBS yordam_facility PkgConfig::OSMOGSM PkgConfig::OSMOCORE)
