#!/bin/sh
# Entrypoint of the ClickHouse stand-in (scripts/container/standins.sh): the part of the official
# clickhouse-server image's contract that docker-compose.yml relies on. CLICKHOUSE_USER and
# CLICKHOUSE_PASSWORD define the user other containers log in as (from any address); the default user
# stays, password-less, on loopback (the health check's /ping needs no login). HTTP on 8123, native
# protocol on 9000, data in /var/lib/clickhouse. The configuration is written at each start, in the
# 18.16 format (root element <yandex>) that Debian's clickhouse-server reads.
set -eu
[ $# -gt 0 ] || set -- clickhouse-server
[ "$1" = clickhouse-server ] || exec "$@"

user=${CLICKHOUSE_USER:-default}
password=${CLICKHOUSE_PASSWORD:-}
xml() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }
case "$user" in *[!A-Za-z0-9_]*) echo "clickhouse stand-in: CLICKHOUSE_USER must be letters, digits and _" >&2; exit 1 ;; esac

conf=/etc/clickhouse-server-standin
data=/var/lib/clickhouse
mkdir -p "$conf" "$data/tmp" "$data/user_files" "$data/format_schemas"
loopback='<networks><ip>127.0.0.1</ip><ip>::1</ip></networks>'
anywhere='<networks><ip>::/0</ip><ip>0.0.0.0/0</ip></networks>'
{
  echo '<yandex>'
  echo '  <profiles><default><allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type></default></profiles>'
  echo '  <users>'
  if [ "$user" = default ]; then
    echo "    <default><password>$(xml "$password")</password>$anywhere<profile>default</profile><quota>default</quota></default>"
  else
    echo "    <default><password></password>$loopback<profile>default</profile><quota>default</quota></default>"
    echo "    <$user><password>$(xml "$password")</password>$anywhere<profile>default</profile><quota>default</quota></$user>"
  fi
  echo '  </users>'
  echo '  <quotas><default></default></quotas>'
  echo '</yandex>'
} > "$conf/users.xml"
cat > "$conf/config.xml" <<XML
<yandex>
  <logger><console>1</console><level>warning</level></logger>
  <listen_host>0.0.0.0</listen_host>
  <http_port>8123</http_port>
  <tcp_port>9000</tcp_port>
  <path>$data/</path>
  <tmp_path>$data/tmp/</tmp_path>
  <user_files_path>$data/user_files/</user_files_path>
  <format_schema_path>$data/format_schemas/</format_schema_path>
  <users_config>$conf/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <timezone>UTC</timezone>
</yandex>
XML
chown -R clickhouse:clickhouse "$data" "$conf"
exec setpriv --reuid=clickhouse --regid=clickhouse --init-groups clickhouse-server --config-file="$conf/config.xml"
