// What a real JVM's FileChannel.lock (the call an Enterprise Manager takes primary_em.lck with,
// Broadcom KB 143526) does on this machine, for the lock probe's and the stand-in EM's tests.
//   java LockOracle.java hold <file>  lock the whole file exclusively, print "locked <pid>",
//                                     keep it until stdin closes or the process is killed
//   java LockOracle.java try <file>   print "acquired" if tryLock() gets it (then release it),
//                                     "held-elsewhere" if another process holds a lock on it
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;

public class LockOracle {
    public static void main(String[] args) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(args[1], "rw"); FileChannel channel = file.getChannel()) {
            if (args[0].equals("hold")) {
                FileLock lock = channel.lock();
                System.out.println("locked " + ProcessHandle.current().pid());
                System.out.flush();
                while (System.in.read() != -1) { }
                lock.release();
            } else {
                FileLock lock = channel.tryLock();
                System.out.println(lock == null ? "held-elsewhere" : "acquired");
                if (lock != null) lock.release();
            }
        }
    }
}
