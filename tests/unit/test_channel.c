/*
 * channel.c's shared pieces: HMAC-SHA256 in base64 as DingTalk and Feishu
 * sign (expected values computed apart, with Python's hmac module), URL
 * encoding, cutting UTF-8 to a byte limit, robot mobile numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "channel.h"

static void
test_hmac(void **state)
{
	const char	*secret = "SECtocsin-unit-0123456789abcdef";
	const char	*ding =
			    "1767225600000\nSECtocsin-unit-0123456789abcdef";
	const char	*fkey = "1767225600\nfeishu-unit-secret";
	char		*b64, *enc;

	/* DingTalk: key = secret, message = timestamp "\n" secret. */
	b64 = channel_hmac_base64(secret, strlen(secret), ding, strlen(ding));
	assert_string_equal(b64,
	    "O9HVAK83/YnTpsWb+g3ATRBUkDCobcvSWrq4Yxgv2Ig=");
	enc = channel_url_encode(b64);
	assert_string_equal(enc,
	    "O9HVAK83%2FYnTpsWb%2Bg3ATRBUkDCobcvSWrq4Yxgv2Ig%3D");
	free(enc);
	free(b64);

	/* Feishu: key = timestamp "\n" secret, message empty. */
	b64 = channel_hmac_base64(fkey, strlen(fkey), "", 0);
	assert_string_equal(b64,
	    "7LPqWAeXdhwjsI+Q4aq7xxa4PtUf7ljcNA21md9ad0M=");
	free(b64);

	/* An empty key is still a key (a webhook "whsec_" secret). */
	b64 = channel_hmac_base64("", 0, "abc", 3);
	assert_string_equal(b64,
	    "/XrbFSwF74Dcz1Ch+kwF1aPsbalVdfwxKufF0JGDY1E=");
	free(b64);
}

/* Kept keyed contexts give HMAC()'s answer, old keys, new and evicted. */
static void
test_hmac_keys(void **state)
{
	unsigned char	key[300], msg[2000], fast[CHANNEL_SHA256_LEN];
	unsigned char	ref[CHANNEL_SHA256_LEN];
	unsigned int	len;
	size_t		i, round, keylen, msglen;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(i * 7 + 1);
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 13 + 5);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 20; i++) {
			/* 0, 1, 64 (a block), 65 (hashed first), 300. */
			keylen = (size_t[]){ 0, 1, 31, 64, 65, 256, 257,
			    300 }[i % 8];
			msglen = (i * 97 + round * 31) % sizeof(msg);
			key[0] = (unsigned char)(i % 12);
			channel_hmac_sha256(key, keylen, msg, msglen, fast);
			len = sizeof(ref);
			HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, ref,
			    &len);
			assert_memory_equal(fast, ref, sizeof(ref));
		}
	}
}

static void
test_urlencode(void **state)
{
	char	*enc;

	enc = channel_url_encode("a+b/c=d \xe5\x80\xbc~-._");
	assert_string_equal(enc, "a%2Bb%2Fc%3Dd%20%E5%80%BC~-._");
	free(enc);
	enc = channel_url_encode("");
	assert_string_equal(enc, "");
	free(enc);
}

static void
test_utf8_fit(void **state)
{
	/* "值班" is 6 bytes, "😀" 4, "…" 3. */
	const char	*s = "ab\xe5\x80\xbc\xe7\x8f\xad\xf0\x9f\x98\x80";
	char		*out;

	assert_int_equal(channel_utf8_cut(s, 100), strlen(s));
	assert_int_equal(channel_utf8_cut(s, 2), 2);
	assert_int_equal(channel_utf8_cut(s, 4), 2);	/* not half of 值 */
	assert_int_equal(channel_utf8_cut(s, 5), 5);
	assert_int_equal(channel_utf8_cut(s, 10), 8);	/* not 3/4 of 😀 */
	assert_int_equal(channel_utf8_cut(s, 0), 0);

	out = channel_utf8_fit(s, strlen(s));
	assert_string_equal(out, s);
	free(out);
	/* 11 bytes: 8 fit, but 😀 does not, so "ab值班…" (11 bytes). */
	out = channel_utf8_fit(s, 11);
	assert_string_equal(out, "ab\xe5\x80\xbc\xe7\x8f\xad\xe2\x80\xa6");
	free(out);
	/* 7 bytes: room for 4, "ab" and the ellipsis. */
	out = channel_utf8_fit(s, 7);
	assert_string_equal(out, "ab\xe2\x80\xa6");
	free(out);
	out = channel_utf8_fit(s, 3);
	assert_string_equal(out, "\xe2\x80\xa6");
	free(out);
	out = channel_utf8_fit(s, 2);
	assert_string_equal(out, "");
	free(out);
}

/*
 * A "whsec_" secret's base64, read as the Standard Webhooks libraries read
 * it: OpenSSL's encoder makes the text, padded and unpadded, every length
 * up to past the 256 bytes the old decoder cut at; the rest is refused.
 */
static void
test_base64_decode(void **state)
{
	static const char *const refused[] = {
		"dG9jc2lu-2V5", "dG9jc2lu_2V5",	/* URL-safe */
		"dG9j c2lu", "dG9jc2lu\n",		/* white space */
		"dG9j=c2lu", "dG9jc2l==", "dG9jc2===",	/* "=" misplaced */
		"dG9jc", "dG9jc2lua2V5c",		/* no encoding is 4n + 1 */
		"dG9jc2lu\xc3\xa9",			/* not ASCII */
	};
	unsigned char	 raw[400], text[600], *out;
	size_t		 n, len, i;
	char		*cause = NULL;

	(void)state;
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 37 + 11);
	for (n = 0; n <= sizeof(raw); n++) {
		EVP_EncodeBlock(text, raw, (int)n);
		out = channel_base64_decode((char *)text, &len, &cause);
		assert_non_null(out);
		assert_int_equal(len, n);
		assert_memory_equal(out, raw, n);
		free(out);
		while (n > 0 && text[strlen((char *)text) - 1] == '=')
			text[strlen((char *)text) - 1] = '\0';
		out = channel_base64_decode((char *)text, &len, &cause);
		assert_non_null(out);
		assert_int_equal(len, n);
		assert_memory_equal(out, raw, n);
		free(out);
	}
	for (i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		cause = NULL;
		assert_null(channel_base64_decode(refused[i], &len, &cause));
		assert_non_null(cause);
		/* The cause never repeats the secret's text. */
		assert_null(strstr(cause, refused[i]));
		free(cause);
	}
}

/* Bytes s takes between its quotes as jansson writes it. */
static size_t
jansson_len(const char *s)
{
	json_t	*v = json_string(s);
	char	*text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	size_t	 n = strlen(text) - 2;

	free(text);
	json_decref(v);
	return (n);
}

/*
 * A text cut for a provider's body limit is measured as jansson writes it,
 * escapes and all: every ASCII byte alone, then Chinese text with quotes,
 * newlines and control characters, cut at every limit from 0 up.
 */
static void
test_json_fit(void **state)
{
	static const char	 ellipsis[] = "\xe2\x80\xa6";
	static const char	 unit[] = "应急\"值班\"\n\t\x01\\/😀\x1f";
	char			 one[2] = { 0, 0 }, text[2048], *fit;
	size_t			 max, keep, i;

	(void)state;
	for (i = 1; i < 0x80; i++) {
		one[0] = (char)i;
		assert_int_equal(channel_json_len(one), jansson_len(one));
	}
	text[0] = '\0';
	while (strlen(text) + sizeof(unit) < sizeof(text))
		strcat(text, unit);
	assert_int_equal(channel_json_len(text), jansson_len(text));
	for (max = 0; max <= channel_json_len(text) + 1; max++) {
		fit = channel_json_fit(text, max);
		assert_true(jansson_len(fit) <= max);
		if (channel_json_len(text) <= max)
			assert_string_equal(fit, text);
		else if (max >= 3) {
			/* A prefix of whole characters, then "…", as long as fits. */
			keep = strlen(fit) - 3;
			assert_string_equal(fit + keep, ellipsis);
			assert_memory_equal(fit, text, keep);
			assert_true(((unsigned char)text[keep] & 0xc0) != 0x80);
			assert_true(jansson_len(fit) + 6 > max);
		}
		free(fit);
	}
}

static void
test_mobiles(void **state)
{
	json_t	*body, *list;

	body = json_pack("{s:[s, s, s, i, s]}", "mobiles", "+8613800000001",
	    "13800000002", "+85291234567", 7, "+86138000000011");
	list = channel_robot_mobiles(body);
	assert_int_equal(json_array_size(list), 4);
	assert_string_equal(json_string_value(json_array_get(list, 0)),
	    "13800000001");
	assert_string_equal(json_string_value(json_array_get(list, 1)),
	    "13800000002");
	assert_string_equal(json_string_value(json_array_get(list, 2)),
	    "+85291234567");
	assert_string_equal(json_string_value(json_array_get(list, 3)),
	    "+86138000000011");
	json_decref(list);
	json_decref(body);

	body = json_object();
	list = channel_robot_mobiles(body);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	json_decref(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_hmac_keys),
		cmocka_unit_test(test_urlencode),
		cmocka_unit_test(test_utf8_fit),
		cmocka_unit_test(test_base64_decode),
		cmocka_unit_test(test_json_fit),
		cmocka_unit_test(test_mobiles),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
