/*
 * The files of web/ compiled into the daemon: web/embed.sh writes
 * $(BUILD)/web-assets.c from them at build time, so tocsind serves its
 * duty-room board with no install path to find at run time.
 */
#ifndef WEB_ASSETS_H
#define WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char		*name;	/* the file name: "board.js" */
	const unsigned char	*data;	/* len bytes, then a NUL */
	size_t			 len;
	const char		*etag;	/* quoted: checksum and length */
};

extern const struct web_asset	web_assets[];
extern const size_t		web_assets_count;

#endif
