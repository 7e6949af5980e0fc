"""Run inside Blender: ``blender -b --factory-startup --python scripts/blender_screenshot.py -- IN.bvh
OUT.png FRAME`` imports a dancegen BVH (cm) with Blender's own importer and renders the armature at
one frame (Workbench engine, 960x540) with a camera in front of the dancer: the screenshot of the
BVH export in README.md and docs/export.md."""
import builtins
import math
import sys

import bpy
from io_anim_bvh import import_bvh
from mathutils import Vector


def _open(file, mode="r", *args, **kwargs):
    # Debian's Blender 3.4 runs on Python 3.11, which no longer accepts the importer's 'rU' mode
    return builtins.open(file, mode.replace("U", ""), *args, **kwargs)


import_bvh.open = _open
argv = sys.argv[sys.argv.index("--") + 1:]
src, out, frame = argv[0], argv[1], int(argv[2])
for o in list(bpy.data.objects):
    bpy.data.objects.remove(o, do_unlink=True)
bpy.ops.import_anim.bvh(filepath=src, global_scale=0.01, frame_start=1, use_fps_scale=False,
                        axis_forward="-Z", axis_up="Y")
arm = next(o for o in bpy.context.scene.objects if o.type == "ARMATURE")
arm.data.display_type = "OCTAHEDRAL"
arm.show_in_front = True
scene = bpy.context.scene
scene.frame_set(frame + 1)
root = arm.matrix_world @ arm.pose.bones[0].head


def material(name, rgb):
    m = bpy.data.materials.new(name)
    m.diffuse_color = (*rgb, 1.0)
    return m


mats = {"R": material("right", (0.9, 0.35, 0.1)), "L": material("left", (0.15, 0.4, 0.9)),
        "C": material("centre", (0.35, 0.35, 0.35))}
# armatures do not render: one cylinder per posed bone and a ball per joint, world positions
for b in arm.pose.bones:
    h, t = arm.matrix_world @ b.head, arm.matrix_world @ b.tail
    L = (t - h).length
    side = b.name[0] if b.name[0] in "RL" and b.name[1:2].isupper() else "C"
    if L > 0.01:
        bpy.ops.mesh.primitive_cylinder_add(radius=0.025, depth=L, location=(h + t) / 2)
        c = bpy.context.object
        c.rotation_euler = (t - h).to_track_quat("Z", "Y").to_euler()
        c.data.materials.append(mats[side])
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.035, location=t)
    bpy.context.object.data.materials.append(mats[side])
bpy.ops.mesh.primitive_plane_add(size=8, location=(root.x, root.y, 0.0))
cam_data = bpy.data.cameras.new("cam")
cam = bpy.data.objects.new("cam", cam_data)
scene.collection.objects.link(cam)
target = Vector((root.x, root.y, 0.9))
cam.location = target + Vector((0.0, -4.5, 0.8))
direction = target - cam.location
cam.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()
cam_data.lens = 40
scene.camera = cam
scene.render.engine = "BLENDER_WORKBENCH"
scene.display.shading.light = "STUDIO"
scene.display.shading.color_type = "MATERIAL"
scene.render.resolution_x, scene.render.resolution_y = 960, 540
scene.render.filepath = out
bpy.ops.render.render(write_still=True)
print("wrote", out, "root", tuple(round(v, 2) for v in root), "angle", math.degrees(cam.rotation_euler.x))
