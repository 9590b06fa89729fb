# Small autoconf helpers for mod_oauth_jwt_grant (no autoconf-archive needed).

# JG_TRY_CFLAG(VARIABLE, FLAG)
# Append FLAG to VARIABLE when $CC accepts it. -Werror turns clang's
# "unknown warning option" warning into the error that gcc already gives.
AC_DEFUN([JG_TRY_CFLAG], [
  AS_VAR_PUSHDEF([jg_cv], [jg_cv_cflag_$2])
  AC_CACHE_CHECK([whether $CC accepts $2], [jg_cv], [
    jg_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -Werror $2"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM()],
      [AS_VAR_SET([jg_cv], [yes])], [AS_VAR_SET([jg_cv], [no])])
    CFLAGS=$jg_save_CFLAGS])
  AS_VAR_IF([jg_cv], [yes], [$1="${$1:+$$1 }$2"])
  AS_VAR_POPDEF([jg_cv])
])

# JG_ISYSTEM(VARIABLE)
# Turn -I into -isystem in a dependency's CFLAGS: warnings in APR, httpd or
# library headers are not ours and must not break -Werror builds.
AC_DEFUN([JG_ISYSTEM], [
  $1=`AS_ECHO([" $$1"]) | sed -e 's/ -I */ -isystem /g' -e 's/^ //'`
])

# JG_PKG(PREFIX, WITH-NAME, PC-MODULE, VERSION-CONSTRAINT, DESCRIPTION, REQUIRED)
# PKG_CHECK_MODULES with a --with-WITH-NAME[=DIR] override:
#   (default)  pkg-config's search path; missing is an error when REQUIRED
#              is yes, a warning otherwise;
#   =yes       must be found (error otherwise), even when not REQUIRED;
#   =DIR       DIR/{lib,lib64,lib/<multiarch>,share}/pkgconfig/PC-MODULE.pc
#              must exist and satisfy the constraint: no silent fallback;
#   =no        refused when REQUIRED, skipped otherwise.
# PREFIX_CFLAGS/PREFIX_LIBS may also be given on the command line as usual.
# Sets PREFIX_CFLAGS (with -isystem), PREFIX_LIBS and jg_have_PREFIX=yes|no.
AC_DEFUN([JG_PKG], [
  AC_ARG_WITH([$2],
    [AS_HELP_STRING([--with-$2@<:@=DIR@:>@],
      [$5: pkg-config module $3, or the one under DIR])],
    [jg_with=$withval], [jg_with=m4_if([$6], [yes], [yes], [auto])])
  jg_have_$1=no
  jg_pcdir=
  AS_CASE([$jg_with],
    [no], [m4_if([$6], [yes], [AC_MSG_ERROR([--without-$2: $5 is required])])],
    [yes|auto], [],
    [for jg_d in "$jg_with/lib/pkgconfig" "$jg_with/lib64/pkgconfig" \
                 "$jg_with/lib/$host_cpu-$host_os/pkgconfig" "$jg_with/share/pkgconfig"; do
       AS_IF([test -f "$jg_d/$3.pc"], [jg_pcdir=$jg_d; break])
     done
     AS_IF([test -z "$jg_pcdir"],
       [AC_MSG_ERROR([--with-$2=$jg_with: no $3.pc under $jg_with/{lib,lib64,lib/$host_cpu-$host_os,share}/pkgconfig])])])
  AS_IF([test "x$jg_with" != xno], [
    jg_save_PKG_CONFIG_PATH=$PKG_CONFIG_PATH
    AS_IF([test -n "$jg_pcdir"],
      [PKG_CONFIG_PATH="$jg_pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"; export PKG_CONFIG_PATH])
    PKG_CHECK_MODULES([$1], [$3[]m4_ifnblank([$4], [ $4])], [jg_have_$1=yes],
      [AS_IF([test "x$jg_with" = xauto],
        [AC_MSG_WARN([$5 not found; use --with-$2=DIR])],
        [AC_MSG_ERROR([$5 not usable: $$1_PKG_ERRORS])])])
    PKG_CONFIG_PATH=$jg_save_PKG_CONFIG_PATH
    JG_ISYSTEM([$1_CFLAGS])
  ])
])

# JG_APXS_Q(VARIABLE, NAME): VARIABLE=`apxs -q NAME`
AC_DEFUN([JG_APXS_Q], [$1=`"$APXS" -q $2 2>/dev/null`])

# JG_CHECK_LINK_FLAGS(CFLAGS, LDFLAGS, PROGRAM, ACTION-IF-FAILED)
# Whether $CC compiles and links PROGRAM with these extra flags.
AC_DEFUN([JG_CHECK_LINK_FLAGS], [
  AC_MSG_CHECKING([whether $CC links with $1 $2])
  jg_save_CFLAGS=$CFLAGS; jg_save_LDFLAGS=$LDFLAGS
  CFLAGS="$CFLAGS $1"; LDFLAGS="$LDFLAGS $2"
  AC_LINK_IFELSE([$3], [AC_MSG_RESULT([yes])], [AC_MSG_RESULT([no]); $4])
  CFLAGS=$jg_save_CFLAGS; LDFLAGS=$jg_save_LDFLAGS
])
