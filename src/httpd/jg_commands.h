/* The table of the module's directives (jg_commands.c); their names are in
 * jg_directives.h. */
#ifndef JG_COMMANDS_H
#define JG_COMMANDS_H

#include <httpd.h>
#include <http_config.h>

extern const command_rec jg_cmds[];

#endif
