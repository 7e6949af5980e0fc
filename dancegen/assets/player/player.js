// dancegen player: plays one dance (2D skeleton, and the 3D body when there is one) in time with
// its music. Everything it needs is in this page: #dance-data (JSON), #music-data (base64 audio),
// #three-src (three.js, only for a 3D dance). The frame shown is floor(clock * fps), clamped,
// where the clock is the audio's currentTime (or a silent clock when the page has no music).
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const D = JSON.parse($("dance-data").textContent);
  const T = D.nFrames, FPS = D.fps, DUR = T / FPS, S = D.style;

  function bytesOf(b64) {
    const bin = atob(b64.trim());
    const u = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
    return u;
  }
  // uint16 little-endian per channel: x = lo[c] + q * step[c]; 65535 = missing (NaN)
  function dequant(q) {
    const u8 = bytesOf(q.b64), dv = new DataView(u8.buffer);
    const n = u8.length >> 1, C = q.shape[2], out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = dv.getUint16(2 * i, true), c = i % C;
      out[i] = v === 65535 ? NaN : q.lo[c] + v * q.step[c];
    }
    return out;
  }
  const KP = dequant(D.kp);
  const P = window.dancegenPlayer = {
    ready: false, frame: 0, nFrames: T, fps: FPS, duration: DUR, offset: D.offset,
    has3d: !!D.j3d, view3d: false, hasAudio: false, draws: 0, errors: [],
  };
  window.addEventListener("error", (e) => P.errors.push(String(e.message)));

  // ------------------------------------------------------------------ clocks
  const musicEl = $("music-data");
  let clock;
  if (musicEl.textContent.trim().length) {
    const audio = document.createElement("audio");
    audio.id = "audio";
    audio.preload = "auto";
    audio.src = URL.createObjectURL(new Blob([bytesOf(musicEl.textContent)], { type: musicEl.dataset.mime }));
    musicEl.textContent = "";
    document.body.appendChild(audio);
    P.hasAudio = true;
    P.audio = audio;
    audio.addEventListener("play", syncButton);
    audio.addEventListener("pause", syncButton);
    audio.addEventListener("ended", syncButton);
    audio.addEventListener("error", () => message("the music cannot be played in this browser"));
    clock = {
      time: () => audio.currentTime,
      playing: () => !audio.paused && !audio.ended,
      play() {
        const p = audio.play();
        if (p && p.catch) p.catch((e) => message("press Play to start the music (" + e.name + ")"));
      },
      pause: () => audio.pause(),
      seek(t) { audio.currentTime = t; },
      setRate(r) { audio.playbackRate = r; },
      setLoop(v) { audio.loop = v; },
    };
  } else {
    // no music: a clock of its own, with the same controls
    let base = 0, t0 = 0, run = false, rate = 1, loop = false;
    const now = () => performance.now() / 1000;
    clock = {
      time() {
        if (!run) return base;
        let t = base + (now() - t0) * rate;
        if (t >= DUR) {
          if (loop) { base = t % DUR; t0 = now(); t = base; } else { base = DUR; run = false; t = DUR; syncButton(); }
        }
        return t;
      },
      playing: () => run,
      play() { if (base >= DUR) base = 0; t0 = now(); run = true; syncButton(); },
      pause() { base = clock.time(); run = false; syncButton(); },
      seek(t) { base = t; t0 = now(); },
      setRate(r) { base = clock.time(); t0 = now(); rate = r; },
      setLoop(v) { loop = v; },
    };
  }
  const frameAt = (t) => Math.min(T - 1, Math.max(0, Math.floor(t * FPS)));
  P.audioTime = () => clock.time();
  P.playing = () => clock.playing();
  P.play = () => { if (clock.time() >= DUR - 0.5 / FPS) clock.seek(0); clock.play(); };
  P.pause = () => clock.pause();
  P.toggle = () => (clock.playing() ? P.pause() : P.play());
  P.seek = (t) => { clock.seek(Math.min(DUR, Math.max(0, t))); dirty = true; };
  P.seekFrame = (f) => P.seek((Math.min(T - 1, Math.max(0, f)) + 0.5) / FPS);

  function message(text) {
    const el = $("music-info");
    el.textContent = text;
    console.warn("dancegen player: " + text);
  }

  // ------------------------------------------------------------------ 2D view
  const c2 = $("view2d"), g2 = c2.getContext("2d");
  const order2d = D.bones2d.map((_, i) => i).sort((a, b) => "CRL".indexOf(D.boneSide2d[a]) - "CRL".indexOf(D.boneSide2d[b]));
  const shade = (hex) => {
    const n = parseInt(hex.slice(1), 16), k = S.jointShade;
    return "rgb(" + [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => Math.round(v * k)).join(",") + ")";
  };
  const dark = { L: shade(S.L), R: shade(S.R), C: shade(S.C) };
  const [fx0, fy0, fx1, fy1] = D.frame2d;

  function draw2d(f) {
    const w = c2.width, h = c2.height;
    if (!w || !h) return;
    g2.fillStyle = S.background;
    g2.fillRect(0, 0, w, h);
    const s = Math.min(w / (fx1 - fx0), h / (fy1 - fy0));
    const ox = (w - (fx1 - fx0) * s) / 2 - fx0 * s, oy = (h - (fy1 - fy0) * s) / 2 - fy0 * s;
    // grid: one cell = canvas height / 9, as in the mp4
    const step = D.canvas[1] / 9, cx = D.canvas[0] / 2;
    g2.strokeStyle = S.grid;
    g2.lineWidth = 1;
    g2.beginPath();
    const kx0 = Math.floor((-ox / s - cx) / step), kx1 = Math.ceil(((w - ox) / s - cx) / step);
    for (let k = kx0; k <= kx1; k++) { const x = Math.round((cx + k * step) * s + ox) + 0.5; g2.moveTo(x, 0); g2.lineTo(x, h); }
    const ky0 = Math.floor((-oy / s) / step), ky1 = Math.ceil(((h - oy) / s) / step);
    for (let k = ky0; k <= ky1; k++) { const y = Math.round(k * step * s + oy) + 0.5; g2.moveTo(0, y); g2.lineTo(w, y); }
    g2.stroke();
    if (D.floorY !== null) {
      g2.strokeStyle = S.floor;
      g2.lineWidth = Math.max(1, 3 * s);
      g2.beginPath();
      g2.moveTo(0, D.floorY * s + oy);
      g2.lineTo(w, D.floorY * s + oy);
      g2.stroke();
    }
    const b = f * D.kp.shape[1] * 2;
    const X = (j) => KP[b + 2 * j] * s + ox, Y = (j) => KP[b + 2 * j + 1] * s + oy;
    const ok = (j) => !Number.isNaN(KP[b + 2 * j]) && !Number.isNaN(KP[b + 2 * j + 1]);
    g2.lineCap = "round";
    g2.lineWidth = Math.max(2, S.thickness * s);
    for (const i of order2d) {
      const [p, q] = D.bones2d[i];
      if (!ok(p) || !ok(q)) continue;
      g2.strokeStyle = S[D.boneSide2d[i]];
      g2.beginPath();
      g2.moveTo(X(p), Y(p));
      g2.lineTo(X(q), Y(q));
      g2.stroke();
    }
    const r = Math.max(1.5, S.radius * s);
    for (let j = 0; j < D.kp.shape[1]; j++) {
      if (!ok(j)) continue;
      g2.fillStyle = dark[D.jointSide2d[j]];
      g2.beginPath();
      g2.arc(X(j), Y(j), r, 0, 2 * Math.PI);
      g2.fill();
    }
    const fs = Math.max(11, Math.round(h * 0.032));
    g2.fillStyle = S.text;
    g2.font = fs + "px system-ui, sans-serif";
    g2.fillText("frame " + (f + 1) + "/" + T, Math.round(fs * 0.6), h - Math.round(fs * 0.6));
    P.draws++;
  }

  // ------------------------------------------------------------------ 3D view
  let view3 = null;           // {draw(f), resize(w, h)} once three.js runs
  async function init3d() {
    if (!D.j3d) return;
    const box = $("view3d-box");
    box.hidden = false;
    const say = (t) => { const m = $("view3d-msg"); m.textContent = t; m.hidden = false; console.warn("dancegen player: " + t); };
    const probe = document.createElement("canvas").getContext("webgl2");
    if (!probe) { say("The 3D view needs WebGL 2, which this browser does not offer."); return; }
    const lose = probe.getExtension("WEBGL_lose_context");
    if (lose) lose.loseContext();
    let THREE;
    try {
      const url = URL.createObjectURL(new Blob([$("three-src").textContent], { type: "text/javascript" }));
      THREE = await import(url);
    } catch (e) {
      say("The 3D view could not start (" + e.message + ").");
      return;
    }
    const J3 = D.j3d, NJ = J3.names.length, X3 = dequant(J3.q);
    const c3 = $("view3d");
    const renderer = new THREE.WebGLRenderer({ canvas: c3, antialias: true });
    renderer.setPixelRatio(window.devicePixelRatio || 1);
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(S.background);
    scene.fog = new THREE.Fog(S.background, 7, 16);
    const cam = new THREE.PerspectiveCamera(40, 1, 0.05, 200);
    scene.add(new THREE.HemisphereLight(0xffffff, 0x807f78, 2.0));
    const sun = new THREE.DirectionalLight(0xffffff, 1.8);
    sun.position.set(2, 6, 4);
    scene.add(sun);
    // the floor: a plane with a grid texture of 0.5 m squares (textured, so the lines look the
    // same on every GPU and fade into the distance with the mipmaps)
    const tc = document.createElement("canvas");
    tc.width = tc.height = 256;                       // 2 m x 2 m of floor
    const tg = tc.getContext("2d");
    tg.fillStyle = S.background;
    tg.fillRect(0, 0, 256, 256);
    tg.fillStyle = S.grid;
    for (let k = 0; k < 4; k++) { tg.fillRect(k * 64, 0, k % 2 ? 2 : 3, 256); tg.fillRect(0, k * 64, 256, k % 2 ? 2 : 3); }
    const tex = new THREE.CanvasTexture(tc);
    tex.colorSpace = THREE.SRGBColorSpace;
    tex.wrapS = tex.wrapT = THREE.RepeatWrapping;
    tex.repeat.set(30, 30);
    tex.anisotropy = renderer.capabilities.getMaxAnisotropy();
    const floor = new THREE.Mesh(new THREE.PlaneGeometry(60, 60), new THREE.MeshBasicMaterial({ map: tex }));
    floor.rotation.x = -Math.PI / 2;
    floor.position.y = J3.floor;
    scene.add(floor);
    const blob = new THREE.Mesh(new THREE.CircleGeometry(0.32, 40),
      new THREE.MeshBasicMaterial({ color: 0x000000, transparent: true, opacity: 0.12, depthWrite: false }));
    blob.rotation.x = -Math.PI / 2;
    blob.position.y = J3.floor + 0.004;
    scene.add(blob);

    const mat = {}, matJ = {};
    for (const k of ["L", "R", "C"]) {
      mat[k] = new THREE.MeshLambertMaterial({ color: S[k] });
      matJ[k] = new THREE.MeshLambertMaterial({ color: dark[k] });
    }
    const cyl = new THREE.CylinderGeometry(1, 1, 1, 14), ball = new THREE.SphereGeometry(1, 18, 12);
    const bones = J3.bones.map(([, c], k) => {
      const m = new THREE.Mesh(cyl, mat[J3.boneSide[k]]);
      m.userData.r = J3.boneSide[k] === "C" ? 0.045 : 0.03;
      scene.add(m);
      return m;
    });
    const head = J3.names.indexOf("Head");
    const joints = J3.names.map((n, j) => {
      const m = new THREE.Mesh(ball, matJ[J3.jointSide[j]]);
      const r = j === head ? 0.105 : 0.04;
      m.scale.set(r, r, r);
      scene.add(m);
      return m;
    });
    const UP = new THREE.Vector3(0, 1, 0), va = new THREE.Vector3(), vb = new THREE.Vector3(), dv = new THREE.Vector3();
    const at = (f, j, v) => { const i = (f * NJ + j) * 3; return v.set(X3[i], X3[i + 1], X3[i + 2]); };
    const bad = (v) => Number.isNaN(v.x) || Number.isNaN(v.y) || Number.isNaN(v.z);

    const home = { az: J3.heading, el: 0.22, dist: 3.8 };
    const orbit = Object.assign({}, home);
    const target = new THREE.Vector3(NaN, J3.rootHeight, NaN);
    let moved = true;

    function draw(f) {
      for (let k = 0; k < bones.length; k++) {
        const [a, b] = J3.bones[k], m = bones[k];
        at(f, a, va); at(f, b, vb);
        if (bad(va) || bad(vb)) { m.visible = false; continue; }
        dv.subVectors(vb, va);
        const L = dv.length();
        m.visible = L > 1e-6;
        if (!m.visible) continue;
        m.position.copy(va).addScaledVector(dv, 0.5);
        m.scale.set(m.userData.r, L, m.userData.r);
        m.quaternion.setFromUnitVectors(UP, dv.divideScalar(L));
      }
      for (let j = 0; j < NJ; j++) {
        at(f, j, va);
        joints[j].visible = !bad(va);
        if (joints[j].visible) joints[j].position.copy(va);
      }
      at(f, 0, va);
      if (!bad(va)) {
        blob.position.x = va.x;
        blob.position.z = va.z;
        // the camera follows the dancer across the floor, smoothly (jumps on a seek)
        if (Number.isNaN(target.x) || Math.hypot(va.x - target.x, va.z - target.z) > 0.6) {
          target.x = va.x; target.z = va.z;
        } else {
          target.x += 0.2 * (va.x - target.x); target.z += 0.2 * (va.z - target.z);
        }
      }
      const ce = Math.cos(orbit.el);
      cam.position.set(target.x + orbit.dist * ce * Math.sin(orbit.az), target.y + orbit.dist * Math.sin(orbit.el),
        target.z + orbit.dist * ce * Math.cos(orbit.az));
      cam.lookAt(target);
      renderer.render(scene, cam);
      moved = false;
    }
    function resize(w, h) {
      renderer.setSize(w, h, false);
      cam.aspect = w / Math.max(1, h);
      cam.updateProjectionMatrix();
    }
    // orbit: drag to turn, wheel to zoom, double-click to reset (pointer events cover touch)
    let drag = null;
    c3.addEventListener("pointerdown", (e) => { drag = [e.clientX, e.clientY]; c3.setPointerCapture(e.pointerId); c3.classList.add("dragging"); });
    c3.addEventListener("pointermove", (e) => {
      if (!drag) return;
      orbit.az -= (e.clientX - drag[0]) * 0.01;
      orbit.el = Math.min(1.45, Math.max(-0.15, orbit.el + (e.clientY - drag[1]) * 0.01));
      drag = [e.clientX, e.clientY];
      dirty = true;
    });
    const end = () => { drag = null; c3.classList.remove("dragging"); };
    c3.addEventListener("pointerup", end);
    c3.addEventListener("pointercancel", end);
    c3.addEventListener("wheel", (e) => {
      e.preventDefault();
      orbit.dist = Math.min(20, Math.max(1.2, orbit.dist * Math.exp(e.deltaY * 0.001)));
      dirty = true;
    }, { passive: false });
    c3.addEventListener("dblclick", () => { Object.assign(orbit, home); dirty = true; });
    P.orbit = orbit;
    view3 = { draw, resize, moved: () => moved };
    P.view3d = true;
  }

  // ------------------------------------------------------------------ controls, loop
  const btn = $("play"), scrub = $("scrub"), timeEl = $("time");
  scrub.max = String(T - 1);
  let scrubbing = false, dirty = true, shown = -1;
  function syncButton() { btn.innerHTML = clock.playing() ? "&#10074;&#10074; Pause" : "&#9654; Play"; }
  btn.addEventListener("click", () => P.toggle());
  scrub.addEventListener("input", () => { scrubbing = true; P.seekFrame(Number(scrub.value)); });
  scrub.addEventListener("change", () => { scrubbing = false; });
  $("loop").addEventListener("change", (e) => clock.setLoop(e.target.checked));
  $("speed").addEventListener("change", (e) => clock.setRate(Number(e.target.value)));
  document.addEventListener("keydown", (e) => {
    const tag = (e.target && e.target.tagName) || "";
    if (e.key === " " && !/^(BUTTON|INPUT|SELECT|TEXTAREA)$/.test(tag)) { e.preventDefault(); P.toggle(); }
    else if ((e.key === "ArrowLeft" || e.key === "ArrowRight") && tag !== "INPUT") {
      e.preventDefault();
      P.pause();
      P.seekFrame(P.frame + (e.key === "ArrowLeft" ? -1 : 1));
    }
  });
  clock.setLoop($("loop").checked);
  clock.setRate(Number($("speed").value));

  const dpr = () => window.devicePixelRatio || 1;
  function fitCanvas(cv) {
    const w = Math.max(1, Math.round(cv.clientWidth * dpr())), h = Math.max(1, Math.round(cv.clientHeight * dpr()));
    if (cv.width !== w || cv.height !== h) { cv.width = w; cv.height = h; return true; }
    return false;
  }
  new ResizeObserver(() => {
    fitCanvas(c2);
    if (view3) { const c3 = $("view3d"); view3.resize(c3.clientWidth, c3.clientHeight); }
    dirty = true;
  }).observe($("views"));

  function tick() {
    const t = clock.time(), f = frameAt(t);
    P.frame = f;
    if (f !== shown || dirty) {
      fitCanvas(c2);
      draw2d(f);
      if (view3) view3.draw(f);
      if (!scrubbing) scrub.value = String(f);
      timeEl.textContent = t.toFixed(2) + " / " + DUR.toFixed(2) + " s   frame " + String(f + 1).padStart(String(T).length) + "/" + T;
      shown = f;
      dirty = false;
    }
    requestAnimationFrame(tick);
  }

  const bits = [D.genre, FPS + " fps", T + " frames", DUR.toFixed(1) + " s", D.j3d ? "2D + 3D" : "2D"].filter(Boolean);
  $("info").textContent = bits.join(" \u00b7 ");
  $("music-info").textContent = D.music
    ? "music: " + D.music + ", from " + D.offset.toFixed(2) + " s"
    : "no music in this page: it plays on a silent clock";
  fitCanvas(c2);
  draw2d(0);
  syncButton();
  init3d().catch((e) => console.warn("dancegen player: 3D view failed: " + e)).finally(() => {
    if (view3) { const c3 = $("view3d"); fitCanvas(c2); view3.resize(c3.clientWidth, c3.clientHeight); }
    dirty = true;
    P.ready = true;
    requestAnimationFrame(tick);
  });
})();
