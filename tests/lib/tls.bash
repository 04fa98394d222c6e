# TLS test helpers: a throw-away certificate and stunnel-capable servers.
# Load after helpers and lib/launch.

STUNNEL=${STUNNEL:-/usr/bin/stunnel4}

# tls_cert DIR: a self-signed EC certificate and key for 127.0.0.1 in DIR.
tls_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj /CN=localhost \
	    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	    -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
	chmod 600 "$1/key.pem"
}

# tls_args: the options that make STARTTLS/STLS available.
tls_args() {
	echo "--tls-cert=$TEST_ROOT/cert.pem --tls-key=$TEST_ROOT/key.pem \
--stunnel=$STUNNEL --passwd-file=$PASSWD --auth-delay=0"
}

# Processes whose command line mentions the test root (servers, stunnel).
tls_leftovers() {
	pgrep -af "$TEST_ROOT" | grep -v -e pgrep -e bats || true
}
