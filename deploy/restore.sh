#!/bin/sh
# Restore a backup written by backup.sh: the database from keel-<stamp>.dump and the media
# folder from media-<stamp>.tar.gz (when present). Stop every Keel service first (README,
# "Restore"). Usage: restore.sh <stamp>   (e.g. 20261202T031500Z; "latest" takes the newest).
# Needs PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE; the database must exist (it is emptied).
set -eu
BACKUP_DIR="${KEEL_BACKUP_DIR:-/backups}"
MEDIA_DIR="${KEEL_MEDIA_DIR:-/data/media}"
stamp="${1:?usage: restore.sh <stamp>|latest}"
if [ "$stamp" = "latest" ]; then
	stamp="$(ls -1t "$BACKUP_DIR"/keel-*.dump | head -n 1 | sed 's/.*keel-\(.*\)\.dump/\1/')"
fi
dump="$BACKUP_DIR/keel-$stamp.dump"
[ -f "$dump" ] || { echo "no such backup: $dump" >&2; exit 1; }
pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error \
	--dbname "${PGDATABASE}" "$dump"
media="$BACKUP_DIR/media-$stamp.tar.gz"
if [ -f "$media" ]; then
	mkdir -p "$MEDIA_DIR"
	find "$MEDIA_DIR" -mindepth 1 -delete
	tar -xzf "$media" -C "$MEDIA_DIR"
fi
echo "restored $stamp"
