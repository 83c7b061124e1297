/*
 * plugin.c: the registry of panel plugins. A new panel is one file under
 * plugins/ and one line here.
 */
#include "config.h"

#include <string.h>

#include "sightline.h"

static const struct plugin *const plugins[] = {
	&plugin_proxmox,
	&plugin_solusvm1,
	&plugin_solusvm2,
	&plugin_virtfusion,
	&plugin_virtualizor,
	NULL
};

const struct plugin *
plugin_find(const char *name)
{
	size_t	 i;

	for (i = 0; plugins[i] != NULL; i++)
		if (strcmp(plugins[i]->pl_name, name) == 0)
			return plugins[i];
	return NULL;
}

/* "proxmox, ..." for error messages. */
const char *
plugin_names(void)
{
	static char	 names[256];
	size_t		 i;

	if (names[0] != '\0')
		return names;
	for (i = 0; plugins[i] != NULL; i++) {
		if (i > 0)
			strlcat(names, ", ", sizeof(names));
		strlcat(names, plugins[i]->pl_name, sizeof(names));
	}
	return names;
}
