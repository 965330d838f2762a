// MSBuild task (compiled by RoslynCodeTaskFactory) that makes TorchSharp 0.107.0's
// libLibTorchSharp.so load on hosts whose libstdc++ predates GLIBCXX_3.4.32 (GCC 13), such as
// Debian 12. The library needs exactly one symbol of that version, std::ios_base_library_init(),
// which GCC 13's <iostream> references only to force iostream initialisation. The patch:
//   (a) marks the GLIBCXX_3.4.32 requirement in .gnu.version_r as weak (VER_FLG_WEAK), so the
//       loader no longer refuses the library for a missing version;
//   (b) clears the version of every dynamic symbol bound to it (what
//       `patchelf --clear-symbol-version` does), so an unversioned definition satisfies it;
//   (c) adds a DT_NEEDED entry for a tiny shim library that defines the function; the library's
//       RUNPATH keeps $ORIGIN, so the shim is found next to it.
// Everything is done in place without changing the file size: the new DT_NEEDED takes one of the
// spare DT_NULL slots the linker leaves in .dynamic, and its name is written over the tail of the
// RUNPATH string (a CI build machine's paths, meaningless elsewhere). Patching is idempotent.
#nullable enable
using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class PatchLibTorchSharp : Task
{
    const string MissingVersion = "GLIBCXX_3.4.32";
    const long DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5, DT_RPATH = 15, DT_RUNPATH = 29;
    const ushort VER_FLG_WEAK = 0x2;

    /// <summary>libLibTorchSharp.so files to patch.</summary>
    [Required] public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>C++ source of the shim library that defines the missing symbol.</summary>
    [Required] public string ShimSource { get; set; } = "";

    /// <summary>Where the shim is compiled (an intermediate folder).</summary>
    [Required] public string ShimBuildDirectory { get; set; } = "";

    /// <summary>auto (patch when the host's libstdc++ lacks GLIBCXX_3.4.32), always, or never.</summary>
    public string Mode { get; set; } = "auto";

    /// <summary>Whether anything was patched (false on hosts that need no patch).</summary>
    [Output] public bool Patched { get; set; }

    public const string ShimFileName = "libtorchsharp_glibcxx_shim.so";

    public override bool Execute()
    {
        if (Libraries.Length == 0 || Mode == "never") return true;
        if (Mode != "always" && Mode != "auto")
        {
            Log.LogError($"TorchNativePatch must be auto, always or never, not '{Mode}'.");
            return false;
        }
        if (Mode == "auto")
        {
            var host = HostLibStdCxx();
            if (host is null)
            {
                Log.LogMessage(MessageImportance.Normal, "No libstdc++.so.6 found on this host; libLibTorchSharp.so left as shipped.");
                return true;
            }
            if (ContainsAscii(File.ReadAllBytes(host), MissingVersion))
            {
                Log.LogMessage(MessageImportance.Low, $"{host} provides {MissingVersion}; libLibTorchSharp.so left as shipped.");
                return true;
            }
        }

        var shim = Path.Combine(ShimBuildDirectory, ShimFileName);
        if (!File.Exists(shim) || File.GetLastWriteTimeUtc(shim) < File.GetLastWriteTimeUtc(ShimSource))
        {
            Directory.CreateDirectory(ShimBuildDirectory);
            if (!CompileShim(shim)) return false;
        }

        foreach (var item in Libraries)
        {
            var path = item.ItemSpec;
            try
            {
                var target = Path.Combine(Path.GetDirectoryName(path)!, ShimFileName);
                if (!File.Exists(target) || File.GetLastWriteTimeUtc(target) < File.GetLastWriteTimeUtc(shim))
                    File.Copy(shim, target, overwrite: true);
                var bytes = File.ReadAllBytes(path);
                var changed = Patch(bytes, ShimFileName, out var summary);
                if (changed)
                {
                    // Write a new file and move it over the old one: the old may be a hard link into
                    // the NuGet cache, which must stay untouched.
                    var temp = path + ".patching";
                    File.WriteAllBytes(temp, bytes);
                    File.Copy(temp, path, overwrite: true);
                    File.Delete(temp);
                }
                Patched = true;
                Log.LogMessage(MessageImportance.Normal, $"{path}: {summary}");
            }
            catch (InvalidDataException e)
            {
                Log.LogError($"Cannot patch {path} for this host's libstdc++: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    bool CompileShim(string output)
    {
        var compiler = Environment.GetEnvironmentVariable("CXX");
        if (string.IsNullOrWhiteSpace(compiler)) compiler = "g++";
        var start = new ProcessStartInfo(compiler)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // Task factories compile against netstandard2.0, which has no ArgumentList.
        start.Arguments = $"-shared -fPIC -O2 -o \"{output}\" \"{ShimSource}\"";
        try
        {
            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Log.LogError($"Compiling the libstdc++ shim failed ({compiler}, exit {process.ExitCode}): {errors}");
                return false;
            }
            return true;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Log.LogError($"This host's libstdc++ lacks {MissingVersion}, which TorchSharp needs, and no C++ compiler ('{compiler}') is on PATH to build the shim that stands in for it. Install g++ (Debian: apt-get install g++) or set CXX.");
            return false;
        }
    }

    static string? HostLibStdCxx()
    {
        foreach (var candidate in new[]
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        })
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    static bool ContainsAscii(byte[] haystack, string needle)
    {
        var n = Encoding.ASCII.GetBytes(needle);
        for (int i = 0; i + n.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < n.Length && haystack[i + j] == n[j]) j++;
            if (j == n.Length && (i + j == haystack.Length || haystack[i + j] == 0)) return true;
        }
        return false;
    }

    static bool Patch(byte[] elf, string shimName, out string summary)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a little-endian 64-bit ELF file");

        long shoff = I64(elf, 0x28);
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        Section? dynamic = null, versym = null, verneed = null, dynsym = null;
        for (int i = 0; i < shnum; i++)
        {
            int h = (int)(shoff + (long)i * shentsize);
            var s = new Section(U32(elf, h + 4), I64(elf, h + 0x10), I64(elf, h + 0x18), I64(elf, h + 0x20), U32(elf, h + 0x28), I64(elf, h + 0x38));
            switch (s.Type)
            {
                case 6: dynamic = s; break;              // SHT_DYNAMIC
                case 11: dynsym = s; break;              // SHT_DYNSYM
                case 0x6ffffffe: verneed = s; break;     // SHT_GNU_verneed
                case 0x6fffffff: versym = s; break;      // SHT_GNU_versym
            }
        }
        if (dynamic is null || versym is null || verneed is null || dynsym is null)
            throw new InvalidDataException("missing .dynamic, .dynsym, .gnu.version or .gnu.version_r");

        // The dynamic string table, located through DT_STRTAB (an address) and mapped to a file offset.
        long strtabAddr = -1;
        for (long e = dynamic.Offset; e + 16 <= dynamic.Offset + dynamic.Size; e += 16)
            if (I64(elf, (int)e) == DT_STRTAB) strtabAddr = I64(elf, (int)e + 8);
        long dynstr = AddressToOffset(elf, strtabAddr);

        var notes = new StringBuilder();
        bool changed = false;

        // (a) weaken the version requirement.
        int versionIndex = -1;
        long vn = verneed.Offset;
        while (true)
        {
            int cnt = U16(elf, (int)vn + 2);
            long aux = vn + U32(elf, (int)vn + 8);
            for (int a = 0; a < cnt; a++)
            {
                var name = CString(elf, dynstr + U32(elf, (int)aux + 8));
                if (name == MissingVersion)
                {
                    versionIndex = U16(elf, (int)aux + 6) & 0x7fff;
                    ushort flags = U16(elf, (int)aux + 4);
                    if ((flags & VER_FLG_WEAK) == 0)
                    {
                        W16(elf, (int)aux + 4, (ushort)(flags | VER_FLG_WEAK));
                        changed = true;
                        notes.Append($"weakened {MissingVersion}; ");
                    }
                }
                aux += U32(elf, (int)aux + 12);
            }
            uint next = U32(elf, (int)vn + 12);
            if (next == 0) break;
            vn += next;
        }
        if (versionIndex < 0)
        {
            summary = $"no {MissingVersion} requirement, left as is";
            return false;
        }

        // (b) clear the version of symbols bound to it.
        long symbols = dynsym.Size / 24;
        for (long i = 0; i < symbols; i++)
        {
            int at = (int)(versym.Offset + i * 2);
            if ((U16(elf, at) & 0x7fff) == versionIndex)
            {
                W16(elf, at, 1); // VER_NDX_GLOBAL
                changed = true;
                notes.Append($"cleared version of {CString(elf, dynstr + U32(elf, (int)(dynsym.Offset + i * 24)))}; ");
            }
        }

        // (c) DT_NEEDED on the shim.
        int entries = (int)(dynamic.Size / 16);
        int firstNull = -1, runpathEntry = -1;
        bool hasShim = false;
        for (int i = 0; i < entries; i++)
        {
            int e = (int)(dynamic.Offset + i * 16);
            long tag = I64(elf, e);
            if (tag == DT_NULL) { firstNull = i; break; }
            if (tag == DT_RUNPATH || tag == DT_RPATH) runpathEntry = i;
            if (tag == DT_NEEDED && CString(elf, dynstr + I64(elf, e + 8)) == shimName) hasShim = true;
        }
        if (!hasShim)
        {
            if (firstNull < 0 || firstNull + 1 >= entries)
                throw new InvalidDataException("no spare slot in .dynamic for a DT_NEEDED entry");
            if (runpathEntry < 0)
                throw new InvalidDataException("no RUNPATH string to host the shim's name");
            int rp = (int)(dynamic.Offset + runpathEntry * 16);
            long runpathOffset = dynstr + I64(elf, rp + 8);
            var runpath = CString(elf, runpathOffset);
            const string kept = "$ORIGIN";
            if (!runpath.StartsWith(kept, StringComparison.Ordinal) || kept.Length + 1 + shimName.Length + 1 > runpath.Length + 1)
                throw new InvalidDataException($"RUNPATH '{runpath}' cannot host the shim's name");
            var replacement = Encoding.ASCII.GetBytes(kept + "\0" + shimName + "\0");
            Array.Clear(elf, (int)runpathOffset, runpath.Length);
            Array.Copy(replacement, 0, elf, runpathOffset, replacement.Length);
            int slot = (int)(dynamic.Offset + firstNull * 16);
            W64(elf, slot, DT_NEEDED);
            W64(elf, slot + 8, runpathOffset + kept.Length + 1 - dynstr);
            changed = true;
            notes.Append($"added DT_NEEDED {shimName}; RUNPATH now {kept}");
        }
        summary = changed ? notes.ToString() : "already patched";
        return changed;
    }

    static long AddressToOffset(byte[] elf, long address)
    {
        long phoff = I64(elf, 0x20);
        int phentsize = U16(elf, 0x36), phnum = U16(elf, 0x38);
        for (int i = 0; i < phnum; i++)
        {
            int h = (int)(phoff + (long)i * phentsize);
            if (U32(elf, h) != 1) continue; // PT_LOAD
            long offset = I64(elf, h + 8), vaddr = I64(elf, h + 0x10), filesz = I64(elf, h + 0x20);
            if (address >= vaddr && address < vaddr + filesz) return address - vaddr + offset;
        }
        throw new InvalidDataException($"address 0x{address:x} is not in a loaded segment");
    }

    sealed class Section
    {
        public Section(uint type, long address, long offset, long size, uint link, long entrySize)
        {
            Type = type; Address = address; Offset = offset; Size = size; Link = link; EntrySize = entrySize;
        }
        public uint Type { get; }
        public long Address { get; }
        public long Offset { get; }
        public long Size { get; }
        public uint Link { get; }
        public long EntrySize { get; }
    }

    static ushort U16(byte[] b, int at) => BitConverter.ToUInt16(b, at);
    static uint U32(byte[] b, int at) => BitConverter.ToUInt32(b, at);
    static long I64(byte[] b, int at) => BitConverter.ToInt64(b, at);
    static void W16(byte[] b, int at, ushort v) => BitConverter.GetBytes(v).CopyTo(b, at);
    static void W64(byte[] b, int at, long v) => BitConverter.GetBytes(v).CopyTo(b, at);

    static string CString(byte[] b, long at)
    {
        int end = (int)at;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
    }
}
