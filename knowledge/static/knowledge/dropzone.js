// Drag and drop onto the upload area: the dropped files become the file input's selection.
document.querySelectorAll("[data-dropzone]").forEach((zone) => {
  const input = zone.querySelector("input[type=file]");
  const label = zone.querySelector("span");
  const show = () => {
    const names = Array.from(input.files).map((f) => f.name);
    label.textContent = names.length ? names.join(", ") : gettext("Drop files here or choose them");
  };
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("dragging")));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    input.files = event.dataTransfer.files;
    show();
  });
  input.addEventListener("change", show);
});
