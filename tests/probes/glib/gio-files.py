# gio-files.py — a real GIO program on Debian's python3-gi: two async file
# operations (Gio.File.query_info_async, Gio.File.load_contents_async) on a
# main loop.  GIO runs both on its GTask thread pool (inside libgio: the
# probe sees the pool runs and the completions marshaled back to "main",
# not the GTasks' results).  Prints one line and exits 0 when both finished.
import sys

from gi.repository import Gio, GLib

loop = GLib.MainLoop()
state = {"pending": 2, "size": None, "length": None}


def finished():
    state["pending"] -= 1
    if state["pending"] == 0:
        loop.quit()


def on_info(src, res):
    info = src.query_info_finish(res)
    state["size"] = info.get_size()
    finished()


def on_contents(src, res):
    ok, data, _etag = src.load_contents_finish(res)
    state["length"] = len(data) if ok else -1
    finished()


f = Gio.File.new_for_path(sys.argv[1])
f.query_info_async("standard::size", Gio.FileQueryInfoFlags.NONE, GLib.PRIORITY_DEFAULT,
                   None, on_info)
f.load_contents_async(None, on_contents)
loop.run()
ok = state["size"] is not None and state["size"] == state["length"]
print("gio-files: %s: size %s, read %s bytes" % ("ok" if ok else "MISMATCH", state["size"],
                                                 state["length"]))
sys.exit(0 if ok else 1)
