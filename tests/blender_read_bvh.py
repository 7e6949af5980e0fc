"""Run inside Blender: ``blender -b --factory-startup --python tests/blender_read_bvh.py -- IN.bvh
OUT.json SCALE FRAME [FRAME ...]``. Imports IN.bvh with Blender's own BVH importer
(``bpy.ops.import_anim.bvh``, default axes: BVH y-up -> Blender z-up) and writes the world
positions of every pose bone's head and tail at the given BVH frames (0-based), converted back to
the BVH axes (x, y, z) in metres, as ``{"frames": [...], "bones": {name: {"head": [[x, y, z]
per frame], "tail": [...]}}}``."""
import builtins
import json
import sys

import bpy
from io_anim_bvh import import_bvh


def _open(file, mode="r", *args, **kwargs):
    # Debian's Blender 3.4 runs on Python 3.11, which no longer accepts the importer's 'rU' mode
    return builtins.open(file, mode.replace("U", ""), *args, **kwargs)


import_bvh.open = _open

argv = sys.argv[sys.argv.index("--") + 1:]
src, out, scale, frames = argv[0], argv[1], float(argv[2]), [int(f) for f in argv[3:]]
bpy.ops.import_anim.bvh(filepath=src, global_scale=scale, frame_start=1, use_fps_scale=False,
                        rotate_mode="NATIVE", axis_forward="-Z", axis_up="Y")
arm = next(o for o in bpy.context.scene.objects if o.type == "ARMATURE")
scene = bpy.context.scene
res = {"frames": frames, "bones": {b.name: {"head": [], "tail": []} for b in arm.pose.bones}}


def back(v):   # Blender world (x, y, z) = BVH (x, -z, y)
    return [v.x, v.z, -v.y]


for f in frames:
    scene.frame_set(f + 1)
    for b in arm.pose.bones:
        res["bones"][b.name]["head"].append(back(arm.matrix_world @ b.head))
        res["bones"][b.name]["tail"].append(back(arm.matrix_world @ b.tail))
with open(out, "w") as fh:
    json.dump(res, fh)
