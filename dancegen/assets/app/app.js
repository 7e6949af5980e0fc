// dancegen serve: the page. Uploads the music with the options, polls the job, then shows the
// player (an iframe) and the downloads. Every message comes from the server as one line of text.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const A = window.dancegenApp = { jobId: null, state: null, options: null, error: null };
  let limits = { max_upload_mb: 50, max_music_minutes: 15, max_duration: 300 };
  let pollTimer = null, shownPlayer = null;
  const LABELS = { mp4: "Video (mp4)", npz: "Dance (npz)", bvh: "BVH (3D animation)", openpose: "OpenPose JSON (zip)" };

  function showError(text) {
    A.error = text;
    const el = $("error");
    el.textContent = text;
    el.hidden = !text;
  }

  async function jsonOf(resp) {
    try { return await resp.json(); } catch (e) { return { error: "the server answered " + resp.status + " " + resp.statusText }; }
  }

  // ---------------------------------------------------------------- options from the server
  async function loadOptions() {
    const r = await fetch("/api/options");
    const o = await jsonOf(r);
    A.options = o;
    if (!r.ok) { showError(o.error || "could not read the options"); return; }
    limits = o.limits || limits;
    $("limits").textContent = "ogg, mp3, wav, flac, m4a; up to " + Math.round(limits.max_upload_mb) + " MB and " +
      Math.round(limits.max_music_minutes) + " minutes";
    $("duration").max = String(limits.max_duration);
    for (const g of o.genres || []) {
      const opt = document.createElement("option");
      opt.value = opt.textContent = g;
      $("genre").appendChild(opt);
    }
    const x = o.options || {};
    if (x.temperature) {
      $("temperature-row").hidden = false;
      $("temperature").value = String(x.temperature.default);
    }
    if (x.camera) {
      $("camera-row").hidden = false;
      let el;
      if (x.camera.choices && x.camera.choices.length) {
        el = document.createElement("select");
        for (const c of x.camera.choices) {
          const opt = document.createElement("option");
          opt.value = opt.textContent = String(c);
          el.appendChild(opt);
        }
      } else {
        el = document.createElement("input");
        el.type = "text";
        el.size = 10;
      }
      el.id = "camera";
      el.name = "camera";
      el.value = String(x.camera.default || (x.camera.choices ? x.camera.choices[0] : ""));
      $("camera-slot").appendChild(el);
    }
  }

  // ---------------------------------------------------------------- the file: drop or choose
  const drop = $("drop"), input = $("music");
  function fileChosen() {
    const f = input.files[0];
    $("file-name").textContent = f ? f.name + " (" + (f.size / 1048576).toFixed(1) + " MB)" : "Drop a music file here";
    showError("");
  }
  input.addEventListener("change", fileChosen);
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; fileChosen(); }
  });
  // a file dropped anywhere else must not make the browser leave the page
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());

  // ---------------------------------------------------------------- submit and follow the job
  $("form").addEventListener("submit", async (e) => {
    e.preventDefault();
    showError("");
    const f = input.files[0];
    if (!f) { showError("Choose or drop a music file first."); return; }
    if (f.size === 0) { showError(f.name + ": the file is empty"); return; }
    if (f.size > limits.max_upload_mb * 1048576) {
      showError(f.name + ": the file is too big (" + (f.size / 1048576).toFixed(0) + " MB); the limit is " + Math.round(limits.max_upload_mb) + " MB");
      return;
    }
    $("go").disabled = true;
    setProgress(0.02, "uploading " + f.name);
    let r, o;
    try {
      r = await fetch("/api/jobs", { method: "POST", body: new FormData($("form")) });
      o = await jsonOf(r);
    } catch (err) {
      r = { ok: false };
      o = { error: "the upload failed: " + err.message };
    }
    if (!r.ok) {
      $("go").disabled = false;
      $("progress-box").hidden = true;
      showError(o.error || "the upload failed");
      return;
    }
    A.jobId = o.id;
    A.state = "queued";
    shownPlayer = null;
    $("result").hidden = true;
    $("downloads").innerHTML = "";
    const span = o.music_seconds ? " of " + o.music_seconds.toFixed(1) + " s" : "";
    $("music-info").textContent = o.music + span + ": a " + o.duration.toFixed(1) + " s dance from " +
      Number($("start").value || 0).toFixed(1) + " s";
    poll();
  });

  function setProgress(v, text) {
    $("progress-box").hidden = false;
    $("progress").value = v;
    $("stage").textContent = text;
  }

  async function poll() {
    clearTimeout(pollTimer);
    const id = A.jobId;
    let o;
    try {
      const r = await fetch("/api/jobs/" + id);
      o = await jsonOf(r);
      if (!r.ok) { finish(o.error || "lost the job"); return; }
    } catch (err) {
      pollTimer = setTimeout(poll, 1000);
      return;
    }
    if (id !== A.jobId) return;
    A.state = o.state;
    setProgress(o.progress, o.stage + (o.state === "done" ? "" : "\u2026"));
    if (o.files.player && shownPlayer !== o.files.player) {
      shownPlayer = o.files.player;
      $("player").src = o.files.player;
      $("result").hidden = false;
    }
    showDownloads(o.files, o.state);
    $("result-msg").textContent = o.message || "";
    if (o.state === "error") { finish(o.error); return; }
    if (o.state === "done") { finish(null); return; }
    pollTimer = setTimeout(poll, 400);
  }

  function finish(error) {
    $("go").disabled = false;
    if (error) {
      $("progress-box").hidden = true;
      showError(error);
    }
  }

  function showDownloads(files, state) {
    const ul = $("downloads");
    const kinds = ["mp4", "npz"].concat(((A.options && A.options.exports) || []).map((x) => x.kind));
    for (const k of kinds) {
      let li = document.getElementById("dl-" + k);
      if (!li) {
        li = document.createElement("li");
        li.id = "dl-" + k;
        ul.appendChild(li);
      }
      if (files[k]) {
        if (li.dataset.href === files[k]) continue;
        li.dataset.href = files[k];
        li.innerHTML = "";
        const a = document.createElement("a");
        a.href = files[k];
        a.textContent = LABELS[k] || k;
        a.setAttribute("download", "");
        a.id = "download-" + k;
        if (k === "bvh" || k === "openpose") a.addEventListener("click", (e) => exportClick(e, a, li));
        li.appendChild(a);
      } else if (!li.dataset.href) {
        li.className = "pending";
        li.textContent = (LABELS[k] || k) + (state === "error" ? ": not made" : k === "mp4" ? ": rendering\u2026" : ": soon");
      }
      if (files[k]) li.className = "";
    }
  }

  // exports are made when first asked for: fetch, so that a failure is a message, not a page
  async function exportClick(e, a, li) {
    if (a.dataset.ready) return;
    e.preventDefault();
    const old = li.querySelector(".fail");
    if (old) old.remove();
    a.textContent = (LABELS[a.id.slice(9)] || "") + " (making\u2026)";
    const r = await fetch(a.href);
    a.textContent = LABELS[a.id.slice(9)] || "";
    if (!r.ok) {
      const o = await jsonOf(r);
      const s = document.createElement("span");
      s.className = "fail";
      s.textContent = o.error || "the export failed";
      li.appendChild(s);
      return;
    }
    const cd = r.headers.get("content-disposition") || "";
    const m = /filename="?([^";]+)"?/.exec(cd);
    a.dataset.ready = "1";
    a.href = URL.createObjectURL(await r.blob());
    a.setAttribute("download", m ? m[1] : "");
    a.click();
  }

  loadOptions().catch((e) => showError("could not reach the server: " + e.message));
})();
