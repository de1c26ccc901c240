/*
 * Unit tests of the sanitiser (store/sanitize.c): each expectation is written
 * out by hand from the rules in sanitize.h.
 */
#include "runner.h"
#include "sanitize.h"

static const char *san(const char *in, size_t len, size_t cap, unsigned flags)
{
	static char out[1024];

	sanitize(in, len, out, cap, flags);
	return out;
}
#define S(lit) san(lit, sizeof(lit) - 1, 1024, 0)

TEST_IMPL(ascii_passes)
{
	ASSERT_STR_EQ(S("hello world"), "hello world");
	ASSERT_STR_EQ(S(""), "");
	return 0;
}

TEST_IMPL(utf8_passes)
{
	ASSERT_STR_EQ(S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	return 0;
}

TEST_IMPL(controls_escaped)
{
	ASSERT_STR_EQ(S("a\nb\rc\td"), "a\\nb\\rc\\td");
	ASSERT_STR_EQ(S("\x1b[31mred"), "\\x1b[31mred");
	ASSERT_STR_EQ(S("x\x7fy"), "x\\x7fy");
	ASSERT_STR_EQ(S("nul\0here"), "nul\\x00here");
	/* C1 control U+009B (CSI) encoded as UTF-8 */
	ASSERT_STR_EQ(S("\xc2\x9b" "2J"), "\\u009b2J");
	return 0;
}

TEST_IMPL(invalid_utf8_replaced)
{
	ASSERT_STR_EQ(S("a\xff" "b"), "a\xef\xbf\xbd" "b");
	/* overlong '/' */
	ASSERT_STR_EQ(S("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
	/* surrogate U+D800 */
	ASSERT_STR_EQ(S("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* above U+10FFFF */
	ASSERT_STR_EQ(S("\xf4\x90\x80\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* truncated sequence at the end (a name cut at 256 bytes) */
	ASSERT_STR_EQ(S("ab\xe2\x82"), "ab\xef\xbf\xbd\xef\xbf\xbd");
	return 0;
}

TEST_IMPL(tabs_expand)
{
	ASSERT_STR_EQ(san("a\tb", 3, 64, SANITIZE_EXPAND_TABS), "a       b");
	ASSERT_STR_EQ(san("12345678\tx", 10, 64, SANITIZE_EXPAND_TABS), "12345678        x");
	/* an escape counts its own width: "\x01" is 4 columns, then 4 spaces */
	ASSERT_STR_EQ(san("\x01\tz", 3, 64, SANITIZE_EXPAND_TABS), "\\x01    z");
	return 0;
}

TEST_IMPL(cut_on_boundary)
{
	char small[6];

	/* "ab€" needs 5 bytes + NUL = 6: fits exactly */
	ASSERT_EQ(sanitize("ab\xe2\x82\xac", 5, small, 6, 0), 5);
	ASSERT_STR_EQ(small, "ab\xe2\x82\xac");
	/* one byte less: the euro sign is dropped whole */
	ASSERT_EQ(sanitize("ab\xe2\x82\xac", 5, small, 5, 0), 2);
	ASSERT_STR_EQ(small, "ab");
	/* an escape is never cut in half */
	ASSERT_EQ(sanitize("a\x01", 2, small, 4, 0), 1);
	ASSERT_STR_EQ(small, "a");
	ASSERT_EQ(sanitize("abc", 3, small, 1, 0), 0);
	ASSERT_STR_EQ(small, "");
	return 0;
}

TEST_IMPL(worst_case_fits)
{
	char in[64], out[SANITIZE_MAX(64)];

	for (int i = 0; i < 64; i++)
		in[i] = (char)0x85; /* lone continuation bytes: 3 bytes each */
	ASSERT_EQ(sanitize(in, 64, out, sizeof out, 0), 64 * 3);
	for (int i = 0; i < 64; i++)
		in[i] = 0x01; /* \x01: 4 bytes each */
	ASSERT_EQ(sanitize(in, 64, out, sizeof out, 0), 64 * 4);
	return 0;
}

static const struct test_entry tests[] = {
	TEST_ENTRY(ascii_passes) TEST_ENTRY(utf8_passes) TEST_ENTRY(controls_escaped)
	TEST_ENTRY(invalid_utf8_replaced) TEST_ENTRY(tabs_expand) TEST_ENTRY(cut_on_boundary)
	TEST_ENTRY(worst_case_fits)
};
TEST_MAIN(tests)
