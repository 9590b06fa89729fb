# Shared parts of the benchmarks (sourced by bench/run, bench/restarts and
# bench/faults, not run): the module and tool to measure, wrk, the work directory, the
# keys, httpd's configuration, starting and stopping httpd, and minting.
#
# The sourcing script sets before bench_init: prog (its name in messages),
# seconds conns threads port (checked here), and may set server_limit
# (httpd's ServerLimit, default 2) and idp_kind (rsa, the default, or ec).
# bench_init sets top httpd moddir python base module tool (and build when
# it built them) work pidfile; bench_keys sets idp_key idp_cert idp_alg
# client_id secret secret_hash basic.

die() { echo "$prog: $*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }

bench_init() {
  top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  cd "$top"
  httpd=${HTTPD_BIN:-/usr/sbin/apache2}
  moddir=/usr/lib/apache2/modules
  python=/usr/bin/python3
  base=http://127.0.0.1:$port
  export CI=${CI:-true}
  local v
  for v in "$seconds" "$conns" "$threads" "$port"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "$prog: not a positive number: $v" >&2; exit 2; }
  done

  # ---------------------------------------------------------------- build
  if [ -n "${JG_MODULE:-}" ] || [ -n "${JWT_GRANT_TOOL:-}" ]; then
    [ -f "${JG_MODULE:-}" ] && [ -x "${JWT_GRANT_TOOL:-}" ] ||
      die "set both JG_MODULE (the .so) and JWT_GRANT_TOOL, or neither"
    module=$(realpath "$JG_MODULE")
    tool=$(realpath "$JWT_GRANT_TOOL")
  else
    scripts/install-deps </dev/null
    mkdir -p "${JG_BUILD_DIR:-_build}/bench"
    build=$(cd "${JG_BUILD_DIR:-_build}/bench" && pwd)
    say "building in $build"
    # once; afterwards make reruns what a changed configure.ac or Makefile.am needs
    if [ ! -x configure ] || [ ! -f Makefile.in ]; then
      ./autogen.sh >"$build/autogen.log" 2>&1 </dev/null ||
        { cat "$build/autogen.log" >&2; die "autogen.sh failed"; }
    fi
    if [ ! -f "$build/Makefile" ]; then
      (cd "$build" && "$top/configure" --quiet </dev/null) || die "configure failed"
    fi
    make -s --no-print-directory -C "$build" -j"$(nproc 2>/dev/null || echo 2)" \
      </dev/null >"$build/make.log" 2>&1 || { tail -n 40 "$build/make.log" >&2; die "make failed"; }
    module=$build/.libs/mod_oauth_jwt_grant.so
    tool=$build/jwt-grant-tool
  fi
  command -v wrk >/dev/null || {
    say "installing wrk"
    env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends wrk \
      </dev/null >/dev/null || die "apt-get install wrk failed"
  }
  "$python" -c 'import cryptography' 2>/dev/null || die "$python lacks cryptography (python3-cryptography)"

  mkdir -p "${BENCH_DIR:-${JG_BUILD_DIR:-_build}/$1}"
  work=$(cd "${BENCH_DIR:-${JG_BUILD_DIR:-_build}/$1}" && pwd)
  pidfile=$work/run/httpd.pid
}

# ------------------------------------------------------------------ httpd
httpd_pid() {
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  [[ $pid =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$work/httpd.conf" && echo "$pid"
  return 0
}
stop_httpd() {
  local pid
  pid=$(httpd_pid)
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
  echo "$prog: httpd (pid $pid) did not stop" >&2
}

# A fresh work directory (the keys are kept) and the IdP's key and
# certificate (RSA-2048 or P-256), our access tokens' P-256 key and a client
# secret, made once.
bench_keys() {
  rm -rf "$work/assertions" "$work/logs" "$work/state" "$work/run"
  mkdir -p "$work/assertions" "$work/logs" "$work/run" "$work/state" "$work/htdocs"
  chmod 0755 "$work" "$work/run" "$work/htdocs"
  printf 'ok\n' >"$work/htdocs/static.txt"
  chmod 0644 "$work/htdocs/static.txt"
  case ${idp_kind:-rsa} in
    rsa) idp_key=$work/idp-key.pem idp_cert=$work/idp-cert.pem idp_alg=RS256
         local newkey=(-newkey rsa:2048) ;;
    ec) idp_key=$work/idp-ec-key.pem idp_cert=$work/idp-ec-cert.pem idp_alg=ES256
        local newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
    *) die "idp_kind: rsa or ec" ;;
  esac
  (
    umask 077
    cd "$work"
    [ -s "$idp_key" ] && openssl x509 -in "$idp_cert" -noout -checkend 86400 >/dev/null 2>&1 ||
      openssl req -x509 "${newkey[@]}" -nodes -sha256 -days 30 -subj /CN=bench-idp \
        -keyout "$idp_key" -out "$idp_cert" </dev/null >/dev/null 2>&1
    [ -s as-key.pem ] ||
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out as-key.pem 2>/dev/null
    [ -s client-secret ] ||
      openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n' >client-secret
  ) || die "openssl could not make the keys"
  client_id="bench-client"
  secret=$(cat "$work/client-secret")
  secret_hash=$("$tool" hash-secret - <<<"$secret") || die "jwt-grant-tool hash-secret failed"
  basic=$(printf '%s:%s' "$client_id" "$secret" | base64 -w0)
}

# write_conf CACHE [EXTRA]: the httpd configuration; CACHE: the lines that
# choose the replay cache (may be empty: the module's default), EXTRA:
# lines added at the end.
write_conf() {
cat >"$work/httpd.conf" <<EOF
# Generated by $prog.
ServerRoot $work
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $pidfile
DefaultRuntimeDir $work/run
ErrorLog $work/logs/error.log
# warn: no line per request (the token endpoint logs each answer at info)
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module $moddir/mod_mpm_event.so
LoadModule authz_core_module $moddir/mod_authz_core.so
LoadModule socache_shmcb_module $moddir/mod_socache_shmcb.so
LoadModule oauth_jwt_grant_module $module

# Two processes of 32 threads, all started at once: no process is started
# or stopped during a run. Keep-alive connections are never closed by us.
StartServers 2
ServerLimit ${server_limit:-2}
ThreadLimit 32
ThreadsPerChild 32
MaxRequestWorkers 64
MinSpareThreads 1
MaxSpareThreads 64
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30

# as Debian's apache2.conf: no .htaccess lookups on every request
<Directory />
    AllowOverride None
</Directory>
DocumentRoot $work/htdocs
<Directory $work/htdocs>
    Require all granted
</Directory>

JWTGrantIssuer        $base
JWTGrantTokenEndpoint $base/oauth2/token
JWTGrantStateDir      $work/state
JWTGrantSigningKey    $work/as-key.pem
JWTGrantTokenFormat   jwt
$1

<JWTGrantTrustedIdP bench-idp>
    JWTGrantIdPCertificate $idp_cert
    JWTGrantIdPAlgorithms  $idp_alg
${BENCH_IDP_EXTRA:-}
</JWTGrantTrustedIdP>
<JWTGrantServiceProvider bench>
    JWTGrantClientID     $client_id
    JWTGrantClientSecret $secret_hash
    JWTGrantClientScopes openid
</JWTGrantServiceProvider>

<Location /oauth2/token>
    SetHandler jwt-grant-token
</Location>
${2:-}
EOF
}

start_httpd() {
  local up=0
  "$httpd" -t -f "$work/httpd.conf" </dev/null >"$work/logs/configtest.log" 2>&1 ||
    { cat "$work/logs/configtest.log" >&2; die "the benchmark configuration does not load"; }
  "$httpd" -f "$work/httpd.conf" -k start </dev/null ||
    { tail -n 20 "$work/logs/error.log" >&2; die "httpd did not start (port $port in use?)"; }
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$base/static.txt" 2>/dev/null && { up=1; break; }
    sleep 0.1
  done
  [ "$up" = 1 ] || { tail -n 20 "$work/logs/error.log" >&2; die "httpd does not answer on $base"; }
}

# mint_dpop N PREFIX: the same, each line with a DPoP proof of
# $work/dpop-key.pem for the token endpoint (bench/mint.py --dpop-key)
mint_dpop() {
  [ -s "$work/dpop-key.pem" ] ||
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
      -out "$work/dpop-key.pem" 2>/dev/null || die "openssl could not make the DPoP key"
  "$python" "$top/bench/mint.py" --key "$idp_key" --iss bench-idp \
    --aud "$base/oauth2/token" --count "$1" --threads "$threads" --out "$2" \
    --dpop-key "$work/dpop-key.pem" --dpop-htu "$base/oauth2/token" ||
    die "minting assertions with DPoP proofs failed"
}

# mint N PREFIX [AUD]: N unique assertions in $threads files PREFIX.<thread>,
# issued by $mint_iss (default bench-idp)
mint() {
  "$python" "$top/bench/mint.py" --key "$idp_key" --iss "${mint_iss:-bench-idp}" \
    --aud "${3:-$base/oauth2/token}" --count "$1" --threads "$threads" --out "$2" ||
    die "minting assertions failed"
}

# start_restarter N SECONDS: in the background, N graceful restarts of httpd
# evenly spaced over SECONDS; each one's time (or "failed TIME") appended to
# $work/restarts.log. Sets restarter (its pid: wait for it, or kill it).
start_restarter() {
  : >"$work/restarts.log"
  (
    interval=$(awk -v s="$2" -v n="$1" 'BEGIN { printf "%.3f", s / (n + 1) }')
    for _ in $(seq 1 "$1"); do
      sleep "$interval"
      if "$httpd" -f "$work/httpd.conf" -k graceful </dev/null >>"$work/logs/graceful.log" 2>&1; then
        date +%s.%N >>"$work/restarts.log"
      else
        echo "failed $(date +%s.%N)" >>"$work/restarts.log"
      fi
    done
  ) &
  restarter=$!
}
